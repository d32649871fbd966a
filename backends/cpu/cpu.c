/* The CPU reference backend: exact arithmetic.  matmul is OpenBLAS SGEMM;
 * ising_anneal runs Metropolis SA / parallel tempering (cpu_anneal.c). */
#include <cblas.h>
#include <omp.h>
#include "physopt/backend.h"
#include "physopt/error.h"
#include "solvers/sgemm.h"
#include "backends/cpu/cpu_anneal.h"
#include "backends/cpu/cpu_recall.h"
#include "backends/cpu/cpu_sb.h"

static const po_param_spec cpu_specs[] = {
    {"kernel", PO_PARAM_STRING, "auto", 0, 0, "auto|general|multispin", "",
     "SA kernel: multispin (64 replicas per word) is chosen automatically for +/-1 "
     "couplings without fields"},
    {"pt_temperatures", PO_PARAM_INT, "16", 2, 1024, NULL, "1",
     "temperatures per parallel-tempering chain, geometric between the default hot and cold "
     "betas"},
    {"sample", PO_PARAM_STRING, "best", 0, 0, "best|final", "",
     "returned state per replica: the lowest-energy state seen at a sweep end, or the final "
     "state (for sampling at a fixed temperature)"},
    /* simulated bifurcation (cpu_sb.h, docs/cpu-backend.md) */
    {"sb_dt", PO_PARAM_DOUBLE, "0", 0, 10, NULL, "1/a0",
     "SB time step; 0 = automatic: the variant's reference step (bsb/dsb 1.25, Goto et al. Sci. "
     "Adv. 7, eabe7953 (2021); asb 1, MindQuantum) capped at 0.9 x the symplectic-Euler stability "
     "limit 2 / sqrt(a0 (a0 + c0 lambda_max(J)))"},
    {"sb_c0", PO_PARAM_DOUBLE, "0", 0, 1e6, NULL, "1",
     "SB coupling c0; 0 = 0.5 / (sqrt(N) <J>), <J> = sqrt(sum_ij J_ij^2 / (N (N-1))) (Goto et al. "
     "2021, Methods)"},
    {"sb_heat", PO_PARAM_DOUBLE, "0.05", 0, 10, NULL, "a0",
     "heating rate gamma of hbsb/hdsb (y += gamma dt y; Kanao & Goto, Commun. Phys. 5, 153 "
     "(2022)); the default is not from the paper (unverified, see docs/cpu-backend.md)"},
    {"sb_substeps", PO_PARAM_INT, "2", 1, 1000, NULL, "1",
     "asb: substeps M of the on-site Kerr motion per coupling step (MindQuantum ASB default M = "
     "2)"},
    {"sb_sample", PO_PARAM_STRING, "final", 0, 0, "final|best", "",
     "SB: returned state per replica: the final signs (the papers' convention) or the "
     "lowest-energy signs at a step end, as cpu.sample = best for sa (dsb reuses its coupling "
     "product for the energy; bsb and asb pay one more product per step)"},
};

/* Per-operation energies at 45 nm, 0.9 V: M. Horowitz, "Computing's energy
 * problem (and what we can do about it)", ISSCC 2014, Fig. 1.1.9. */
static const po_param_spec cpu_energy_specs[] = {
    {"mac_j", PO_PARAM_DOUBLE, "4.6e-12", 0, 1, NULL, "J",
     "one fp32 multiply-accumulate: 3.7 pJ multiply + 0.9 pJ add (Horowitz, ISSCC 2014)"},
    {"spin_attempt_j", PO_PARAM_DOUBLE, "6.0e-12", 0, 1, NULL, "J",
     "one Metropolis attempt: 32-bit read from an 8 KB SRAM (5 pJ) + ~10 integer ops for the "
     "random number and comparison (0.1 pJ each) (Horowitz, ISSCC 2014)"},
    {"dram_word_j", PO_PARAM_DOUBLE, "640e-12", 0, 1, NULL, "J",
     "one 32-bit DRAM access (Horowitz, ISSCC 2014); charged per operand word streamed from "
     "memory when the working set exceeds the caches"},
    {"word_op_j", PO_PARAM_DOUBLE, "0.2e-12", 0, 1, NULL, "J",
     "one 64-bit integer logic operation of the multispin kernel: two 32-bit integer adds "
     "(0.1 pJ each) (Horowitz, ISSCC 2014)"},
};

const po_param_section po_cpu_params = {"cpu", cpu_specs, sizeof cpu_specs / sizeof cpu_specs[0]};
const po_param_section po_cpu_energy = {"energy.cpu", cpu_energy_specs,
                                        sizeof cpu_energy_specs / sizeof cpu_energy_specs[0]};

static int cpu_matmul(po_backend *b, po_trans ta, po_trans tb, int M, int N, int K, float alpha,
                      const float *A, int lda, const float *B, int ldb, float beta, float *C,
                      int ldc) {
  double mac_j;
  int rc = po_backend_energy_cost(b, "mac_j", &mac_j);
  if (rc) return rc;
  double t0 = omp_get_wtime();
  po_sgemm_det(ta == PO_TRANS, tb == PO_TRANS, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  double dt = omp_get_wtime() - t0;
  b->ledger.wall_s += dt;
  b->ledger.device_s += dt;
  po_ledger_add(&b->ledger, "macs", "MAC", (double)M * N * K, mac_j);
  return PO_OK;
}

/* 5000 sweeps x 128 replicas of the default geometric schedule reach the
 * best-known cut 13359 of G22 (N = 2000, +/-1 couplings, multi-spin kernel)
 * in about 5-10 s on 2 cores (docs/cpu-backend.md). */
static const po_algorithm cpu_algorithms[] = {
    {"sa", "Metropolis simulated annealing (general or 64-replica multispin kernel)", po_cpu_sa,
     5000},
    {"pt", "parallel tempering: cpu.pt_temperatures chains per replica, geometric betas", po_cpu_pt,
     5000},
    /* simulated bifurcation (cpu_sb.c, docs/cpu-backend.md); 1000 steps is
     * MindQuantum's default n_iter: G1 cut 11623 of 11624 with bsb, 32 replicas */
    {"bsb", "ballistic simulated bifurcation (Goto et al. 2021): walls at |x| = 1",
     po_cpu_sb_anneal, 1000},
    {"dsb", "discrete simulated bifurcation (Goto et al. 2021): sign(x) in the coupling",
     po_cpu_sb_anneal, 1000},
    {"asb", "adiabatic simulated bifurcation (Goto et al. 2019): Kerr oscillators, no walls",
     po_cpu_sb_anneal, 1000},
    {"hbsb", "heated bSB (Kanao & Goto 2022): heating term cpu.sb_heat", po_cpu_sb_anneal, 1000},
    {"hdsb", "heated dSB (Kanao & Goto 2022): heating term cpu.sb_heat", po_cpu_sb_anneal, 1000},
    {NULL, NULL, NULL, 0},
};

const po_backend_ops po_backend_ops_cpu = {
    .name = "cpu",
    .summary = "digital reference: OpenBLAS SGEMM, Metropolis SA, parallel tempering and "
               "simulated bifurcation",
    .caps = PO_CAP_MATMUL | PO_CAP_ISING | PO_CAP_RECALL,
    .fallback = NULL,
    .params = &po_cpu_params,
    .energy = &po_cpu_energy,
    .matmul = cpu_matmul,
    .algorithms = cpu_algorithms,
    .recall = po_cpu_recall,
    .recall_dynamics = "glauber|steepest",
};
