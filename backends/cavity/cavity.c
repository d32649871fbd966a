/* The confocal-cavity QED backend (Marsh et al., PRX 11, 021048, 2021).
 *
 * recall:        glauber | steepest (the cavity's native discrete steepest
 *                descent, shared kernel with the cpu backend) | semiclassical
 *                (collective-spin Landau-Lifshitz-Gilbert dynamics with the
 *                cavity adiabatically eliminated, physics/cavity.h),
 *                integrated with CVODE (BDF, Newton-Krylov; deterministic
 *                after the atom-projection noise of the initial state) or the
 *                stochastic Heun stepper of solvers/sde.c with Langevin noise
 *                ~ 1/sqrt(N_atoms).
 * ising_anneal:  the same semiclassical dynamics from the normal phase
 *                (all spins along -z) under a transverse-pump ramp taken from
 *                the shared schedule; spins are read out as sign(x_i).
 * Ledger: pump energy (power x time), photons lost through the mirrors
 * (2 kappa n_photons per unit time, hbar omega each), atom preparation per
 * shot; simulated device seconds from the coupling scale j0.
 * Equations, parameter sources and choices: docs/cavity.md. */
#include <cvode/cvode.h>
#include <math.h>
#include <nvector/nvector_serial.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <sundials/sundials_context.h>
#include <sunlinsol/sunlinsol_dense.h>
#include <sunlinsol/sunlinsol_spgmr.h>
#include <sunmatrix/sunmatrix_dense.h>
#include "core/threads.h"
#include "backends/cpu/cpu_recall.h"
#include "physics/cavity.h"
#include "physopt/backend.h"
#include "physopt/error.h"
#include "physopt/memory.h"
#include "solvers/sde.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

static const po_param_spec cavity_specs[] = {
    {"w0_um", PO_PARAM_DOUBLE, "35", 1, 1000, NULL, "um",
     "TEM00 waist of the confocal cavity (L = R = 1 cm, w0 = 35 um: Vaidya et al., PRX 8, "
     "011002, 2018)"},
    {"sigma_a", PO_PARAM_DOUBLE, "0.1", 0.01, 0.5, NULL, "w0",
     "Gaussian width sigma_A of an atomic ensemble in units of w0 (choice: ensembles of a few "
     "um, well below w0, as proposed by Marsh et al., PRX 11, 021048, 2021)"},
    {"spread", PO_PARAM_DOUBLE, "1.5", 0, 20, NULL, "w0",
     "radius of the disk in which ensembles are placed (native connectivity); the crossover to "
     "a spin glass sits near 1 w0 (Marsh et al. 2021, Fig. 2; docs/cavity.md)"},
    {"n_atoms", PO_PARAM_DOUBLE, "1e4", 1, 1e9, NULL, "atoms",
     "atoms per ensemble; sets the projection noise 1/sqrt(N_atoms) (order 10^4-10^5 87Rb atoms: "
     "Marsh et al. 2021; Vaidya et al. 2018)"},
    {"omega_z", PO_PARAM_DOUBLE, "0.05", 0, 10, NULL, "j0",
     "effective transverse field (atomic level splitting) in units of the coupling scale j0 "
     "(choice; small against the fields of stored patterns, docs/cavity.md)"},
    {"damping", PO_PARAM_DOUBLE, "20", 0, 1e6, NULL, "1",
     "cavity-loss-induced relaxation rate Gamma relative to the coherent precession; >> 1 is the "
     "strong-dissipation regime of Marsh et al. 2021 (choice)"},
    {"self_coupling", PO_PARAM_DOUBLE, "0.2", 0, 100, NULL, "max_i sum_j |W_ij|",
     "self-interaction W_self of each ensemble (the local part of the cavity Green's function, "
     "which makes every ensemble a bistable superradiant neuron), in units of the largest row "
     "sum of |W| (choice, tuned so that the pump ramp reproduces steepest descent: "
     "docs/cavity.md; 0 = no self-interaction)"},
    {"self_interaction", PO_PARAM_STRING, "fixed", 0, 0, "fixed|geometry", "",
     "fixed: W_self = self_coupling x max_i sum_j |W_ij| (hand-set); geometry: W_self = "
     "(mean J_ii / rms J_ij) x rms(W_ij), the diagonal of the confocal Green's function for "
     "ensembles of width sigma_a (thermally widened, temperature_nk) in a disk of radius spread, "
     "local term of width local_width_um (physics/cavity.h po_cavity_self_ratio; docs/cavity.md)"},
    {"local_width_um", PO_PARAM_DOUBLE, "0", 0, 100, NULL, "um",
     "self_interaction = geometry: rms width of the local (delta) term of the Green's function; "
     "0 = ideal confocal cavity; the Stanford confocal cavity resolves 1.7 um (Kroeze et al., "
     "arXiv:2212.06716, 2023: imaging resolution = interaction range), an upper bound"},
    {"temperature_nk", PO_PARAM_DOUBLE, "0", 0, 1e5, NULL, "nK",
     "thermal motion of the atoms in their tweezers: the couplings are averaged over Gaussian "
     "position jitter of rms sqrt(k_B T / (m omega_trap^2)) (87Rb), i.e. sigma_a is widened to "
     "sqrt(sigma_a^2 + sigma_T^2); 0 = off (docs/cavity.md, 'Atomic motion')"},
    {"trap_hz", PO_PARAM_DOUBLE, "1000", 1, 1e7, NULL, "Hz",
     "temperature_nk > 0: transverse trap frequency omega_trap/2pi of the tweezers (choice, kHz "
     "order of optical tweezers)"},
    {"pump_start", PO_PARAM_DOUBLE, "20", 0, 1e4, NULL, "g_c",
     "recall: coupling g (proportional to transverse pump power) at the start, in units of the "
     "superradiant threshold g_c = omega_z / W_self of one ensemble, when the schedule is "
     "'default' (geometric ramp)"},
    {"pump_end", PO_PARAM_DOUBLE, "1.01", 0, 1e4, NULL, "g_c",
     "recall: g / g_c at the end of the default ramp; lowering the pump toward threshold lowers "
     "the barriers of the bistable ensembles, so misaligned spins flip most-unstable first"},
    {"duration", PO_PARAM_DOUBLE, "200", 1e-3, 1e6, NULL, "1/(2 pi j0)",
     "length of one recall or anneal shot in units of 1/(2 pi j0)"},
    {"j0_hz", PO_PARAM_DOUBLE, "1e4", 1, 1e9, NULL, "Hz",
     "cavity-mediated coupling scale j0 (order 10 kHz: Guo et al., PRL 122, 193601, 2019, "
     "interaction strengths of order the recoil-scale kHz-10 kHz; estimate)"},
    {"integrator", PO_PARAM_STRING, "cvode", 0, 0, "cvode|sde", "",
     "semiclassical integrator: CVODE (deterministic after the initial projection noise) or "
     "stochastic Heun (solvers/sde.c) with Langevin noise of diffusion damping/N_atoms"},
    {"sde_steps", PO_PARAM_INT, "20000", 10, 100000000, NULL, "1",
     "stochastic Heun steps per shot (integrator = sde)"},
    {"rtol", PO_PARAM_DOUBLE, "1e-8", 1e-14, 1e-2, NULL, "1", "CVODE relative tolerance"},
    {"kappa_khz", PO_PARAM_DOUBLE, "150", 1, 1e5, NULL, "kHz",
     "cavity field decay rate kappa/2pi (order 150 kHz for the Stanford confocal cavity: Vaidya "
     "et al. 2018, Guo et al. 2019)"},
    {"n_photons", PO_PARAM_DOUBLE, "1e3", 0, 1e12, NULL, "photons",
     "mean intracavity photon number while superradiant (estimate, order of the emission "
     "detected by Kroeze et al., PRL 121, 163601, 2018)"},
    {"geometry", PO_PARAM_STRING, "confocal", 0, 0, "confocal|multimode", "",
     "native couplings: ideal confocal kernel (closed form, w0 = w0_um) or the multimode mode "
     "sum of physics/cavity.h from length_um, mirror_radius_um, wavelength_um (docs/cavity.md)"},
    {"length_um", PO_PARAM_DOUBLE, "1e4", 10, 1e6, NULL, "um",
     "geometry = multimode: cavity length L (1 cm: Vaidya et al., PRX 8, 011002, 2018)"},
    {"mirror_radius_um", PO_PARAM_DOUBLE, "1e4", 10, 1e7, NULL, "um",
     "geometry = multimode: mirror radius of curvature R, L < 2R (R = L = 1 cm, confocal: Vaidya "
     "et al. 2018)"},
    {"wavelength_um", PO_PARAM_DOUBLE, "0.78", 0.1, 10, NULL, "um",
     "geometry = multimode: pump and cavity wavelength (87Rb D2 line, 780 nm: Vaidya et al. "
     "2018)"},
    {"pump_detuning_mhz", PO_PARAM_DOUBLE, "-10", -1e5, 1e5, NULL, "MHz",
     "geometry = multimode: pump detuning Delta_0/2pi from the n = 0 family, negative = red "
     "(choice, order of the tens-of-MHz detunings of transversely pumped cavities)"},
    {"z_spread_um", PO_PARAM_DOUBLE, "0", 0, 1e5, NULL, "um",
     "geometry = multimode: ensembles placed at heights uniform in [-z, z] about the midplane "
     "(0 = midplane, as the confocal model)"},
    {"n_families", PO_PARAM_INT, "1000", 0, 4000, NULL, "1",
     "geometry = multimode: largest mode family order n = l + m kept (even families only); "
     "1000 converges the confocal limit for sigma_a >= 0.1 w0 (docs/cavity.md)"},
};

static const po_param_spec cavity_energy_specs[] = {
    {"pump_power_w", PO_PARAM_DOUBLE, "0.05", 0, 100, NULL, "W",
     "optical power of the transverse pump beam (tens of mW at 780 nm; estimate for the "
     "experiments of Guo et al. 2019)"},
    {"photon_j", PO_PARAM_DOUBLE, "2.547e-19", 0, 1, NULL, "J",
     "energy of one 780 nm photon, h c / 780 nm (exact)"},
    {"atom_prep_j", PO_PARAM_DOUBLE, "1.5e4", 0, 1e9, NULL, "J",
     "electrical energy to prepare the atoms of one shot: a cold-atom apparatus of ~3 kW "
     "running a ~5 s BEC cycle (estimate; imaging is destructive, one shot per recall)"},
    {"prep_time_s", PO_PARAM_DOUBLE, "5", 0, 1e4, NULL, "s",
     "duration of the BEC preparation cycle per shot (estimate, as above)"},
};

const po_param_section po_cavity_params = {"cavity", cavity_specs,
                                           sizeof cavity_specs / sizeof cavity_specs[0]};
const po_param_section po_cavity_energy = {"energy.cavity", cavity_energy_specs,
                                           sizeof cavity_energy_specs /
                                               sizeof cavity_energy_specs[0]};

typedef struct cav_cfg {
  double n_atoms, omega_z, damping, self_coupling, pump_start, pump_end, duration, j0_hz, rtol,
      kappa_khz, n_photons;
  int sde;
  long sde_steps;
  double self_ratio; /* self_interaction = geometry: mean J_ii / rms J_ij; else < 0 */
} cav_cfg;

/* Waist in um of the configured geometry: w0_um, or the one that follows
 * from L, R, lambda with geometry = multimode. */
static int geometry_w0_um(po_backend *b, double *w0) {
  const char *geom = NULL;
  int rc = po_backend_param_string(b, "geometry", &geom);
  rc = rc ? rc : po_backend_param_double(b, "w0_um", w0);
  if (rc || strcmp(geom, "multimode")) return rc;
  po_cavity_multimode mm = {0};
  double zr;
  rc = rc ? rc : po_backend_param_double(b, "length_um", &mm.length);
  rc = rc ? rc : po_backend_param_double(b, "mirror_radius_um", &mm.mirror_radius);
  rc = rc ? rc : po_backend_param_double(b, "wavelength_um", &mm.wavelength);
  return rc ? rc : po_cavity_multimode_waist(&mm, w0, &zr);
}

/* Self-coupling ratio of the geometry (self_interaction = geometry). */
static int read_self_ratio(po_backend *b, double *ratio) {
  const char *mode = NULL;
  double spread, sigma, ell, temp, trap, w0;
  int rc = po_backend_param_string(b, "self_interaction", &mode);
  *ratio = -1;
  if (rc || strcmp(mode, "geometry")) return rc;
  rc = rc ? rc : po_backend_param_double(b, "spread", &spread);
  rc = rc ? rc : po_backend_param_double(b, "sigma_a", &sigma);
  rc = rc ? rc : po_backend_param_double(b, "local_width_um", &ell);
  rc = rc ? rc : po_backend_param_double(b, "temperature_nk", &temp);
  rc = rc ? rc : po_backend_param_double(b, "trap_hz", &trap);
  rc = rc ? rc : geometry_w0_um(b, &w0);
  if (rc) return rc;
  const double thermal = po_cavity_thermal_sigma_um(temp, trap, PO_RB87_AMU) / w0;
  return po_cavity_self_ratio(spread, hypot(sigma, thermal), ell / w0, ratio);
}

static int read_cfg(po_backend *b, cav_cfg *c) {
  int rc = 0;
  const char *integ = NULL;
  rc = rc ? rc : po_backend_param_double(b, "n_atoms", &c->n_atoms);
  rc = rc ? rc : po_backend_param_double(b, "omega_z", &c->omega_z);
  rc = rc ? rc : po_backend_param_double(b, "damping", &c->damping);
  rc = rc ? rc : po_backend_param_double(b, "self_coupling", &c->self_coupling);
  rc = rc ? rc : po_backend_param_double(b, "pump_start", &c->pump_start);
  rc = rc ? rc : po_backend_param_double(b, "pump_end", &c->pump_end);
  rc = rc ? rc : po_backend_param_double(b, "duration", &c->duration);
  rc = rc ? rc : po_backend_param_double(b, "j0_hz", &c->j0_hz);
  rc = rc ? rc : po_backend_param_double(b, "rtol", &c->rtol);
  rc = rc ? rc : po_backend_param_double(b, "kappa_khz", &c->kappa_khz);
  rc = rc ? rc : po_backend_param_double(b, "n_photons", &c->n_photons);
  rc = rc ? rc : po_backend_param_string(b, "integrator", &integ);
  rc = rc ? rc : po_backend_param_int(b, "sde_steps", &c->sde_steps);
  if (!rc) c->sde = !strcmp(integ, "sde");
  rc = rc ? rc : read_self_ratio(b, &c->self_ratio);
  return rc;
}

/* One shot of the semiclassical dynamics. */
typedef struct shot {
  int n;
  const double *Wd;
  const cav_cfg *c;
  const po_schedule *sched; /* NULL or DEFAULT: the backend's default ramp */
  double g_c;               /* unit of the schedule value: g = g_c v(t) */
  double v_start, v_end;    /* default ramp of v */
  int geometric;            /* default ramp geometric (else linear) */
} shot;

static double pump_at(const shot *s, double t) {
  double f = t / s->c->duration;
  if (f > 1) f = 1;
  if (f < 0) f = 0;
  if (s->sched && s->sched->kind != PO_SCHED_DEFAULT)
    return s->g_c * po_schedule_value(s->sched, lround(f * 1e6), 1000001);
  if (s->geometric && s->v_start > 0 && s->v_end > 0)
    return s->g_c * s->v_start * pow(s->v_end / s->v_start, f);
  return s->g_c * (s->v_start + (s->v_end - s->v_start) * f);
}

/* A stop request (po_request_stop) ends a shot: polled once per right-hand
 * side (CVODE, which then fails) or per 64 steps (SDE), and per shot. */
static int interrupted(void) {
  return po_error(PO_ERR_INTERRUPTED,
                  "interrupted: the cavity dynamics were stopped by a stop request (Ctrl-C)");
}

static int rhs_cv(sunrealtype t, N_Vector y, N_Vector ydot, void *user) {
  const shot *s = user;
  if (po_stop_requested()) return -1; /* unrecoverable: CVode returns, see below */
  po_cavity_spin_rhs(s->n, s->Wd, pump_at(s, t), s->c->omega_z, s->c->damping,
                     N_VGetArrayPointer(y), N_VGetArrayPointer(ydot));
  return 0;
}

static int roots_cv(sunrealtype t, N_Vector y, sunrealtype *gout, void *user) {
  const shot *s = user;
  const double *v = N_VGetArrayPointer(y);
  for (int i = 0; i < s->n; i++) gout[i] = v[3 * i];
  return 0;
}

/* Integrates state (3n, unit vectors) over [0, duration]; logs the order of
 * sign changes of x_i.  Returns PO_OK or an error. */
typedef struct sde_ctx {
  const shot *s;
  double *in, *out;
} sde_ctx;

/* Drift for solvers/sde.c: the same equations in double, state in float. */
static int drift_sde(void *vctx, double t, const float *x, float *out) {
  sde_ctx *c = vctx;
  const int n3 = 3 * c->s->n;
  for (int k = 0; k < n3; k++) c->in[k] = x[k];
  po_cavity_spin_rhs(c->s->n, c->s->Wd, pump_at(c->s, t), c->s->c->omega_z, c->s->c->damping, c->in,
                     c->out);
  for (int k = 0; k < n3; k++) out[k] = (float)c->out[k];
  return PO_OK;
}

/* Records spin i's sign change in the flip log (first log_len flips). */
static void log_flip(int *log, int log_len, long *nf, int i) {
  if (log && *nf < log_len) log[*nf] = i;
  (*nf)++;
}

/* The deterministic shot: CVODE (BDF) with a root at every sign change of
 * x_i, so each flip is located and logged in time order. */
static int run_shot_cvode(const shot *s, double *state, int *log, int log_len, long *nf_out) {
  const int n = s->n;
  long nf = 0;
  SUNContext ctx = NULL;
  if (SUNContext_Create(NULL, &ctx)) return po_error(PO_ERR_NUMERIC, "cavity: SUNContext failed");
  N_Vector y = N_VNew_Serial(3 * n, ctx);
  void *mem = CVodeCreate(CV_BDF, ctx);
  /* Dense Newton for small networks, matrix-free GMRES beyond. */
  SUNMatrix A = (y && 3 * n <= 600) ? SUNDenseMatrix(3 * n, 3 * n, ctx) : NULL;
  SUNLinearSolver ls = !y  ? NULL
                       : A ? SUNLinSol_Dense(y, A, ctx)
                           : SUNLinSol_SPGMR(y, SUN_PREC_NONE, 50, ctx);
  int rc = PO_OK;
  int *found = malloc(sizeof(int) * n);
  if (!y || !mem || !ls || !found) rc = po_error(PO_ERR_NOMEM, "cavity: CVODE allocation failed");
  if (!rc) {
    memcpy(N_VGetArrayPointer(y), state, sizeof(double) * 3 * n);
    if (CVodeInit(mem, rhs_cv, 0.0, y) || CVodeSStolerances(mem, s->c->rtol, s->c->rtol * 1e-2) ||
        CVodeSetUserData(mem, (void *)s) || CVodeSetLinearSolver(mem, ls, A) ||
        CVodeRootInit(mem, n, roots_cv) || CVodeSetMaxNumSteps(mem, 1000000))
      rc = po_error(PO_ERR_NUMERIC, "cavity: CVODE setup failed");
  }
  sunrealtype t = 0;
  while (!rc && t < s->c->duration) {
    int f = CVode(mem, s->c->duration, y, &t, CV_NORMAL);
    if (f == CV_ROOT_RETURN) {
      CVodeGetRootInfo(mem, found);
      for (int i = 0; i < n; i++)
        if (found[i]) {
          log_flip(log, log_len, &nf, i);
        }
    } else if (f < 0) {
      rc = po_stop_requested()
               ? interrupted()
               : po_error(PO_ERR_NUMERIC, "cavity: CVODE failed at t = %g (flag %d)", (double)t, f);
    }
  }
  if (!rc) memcpy(state, N_VGetArrayPointer(y), sizeof(double) * 3 * n);
  free(found);
  if (mem) CVodeFree(&mem);
  if (ls) SUNLinSolFree(ls);
  if (A) SUNMatDestroy(A);
  if (y) N_VDestroy(y);
  SUNContext_Free(&ctx);
  *nf_out = nf;
  return rc;
}

/* The stochastic shot: Heun steps with Langevin noise, spins renormalised
 * onto the Bloch sphere after every step. */
static int run_shot_sde(const shot *s, double *state, uint64_t seed, uint64_t run, int *log,
                        int log_len, long *nf_out) {
  const int n = s->n;
  long nf = 0;
  /* Stochastic Heun (solvers/sde.c) with additive isotropic noise of
   * diffusion D = damping / N_atoms on each Bloch component, followed by
   * renormalisation onto the sphere (which removes the radial part of the
   * noise to first order). Stream (seed, run, 0). */
  const long K = s->c->sde_steps;
  const double dt = s->c->duration / K;
  /* Shots already run in parallel (one per thread of the caller's team):
   * the stepper's own loops over 3n components stay serial (the team size
   * of this implicit task only). */
  const int omp_caller = po_omp_threads_push(1);
  const float sigma = (float)sqrt(2 * s->c->damping / s->c->n_atoms);
  float *x = malloc(sizeof(float) * 3 * n);
  sde_ctx ctx = {s, malloc(sizeof(double) * 3 * n), malloc(sizeof(double) * 3 * n)};
  po_sde sde;
  int rc = (!x || !ctx.in || !ctx.out) ? po_error(PO_ERR_NOMEM, "cavity: out of memory")
                                       : po_sde_create(&sde, 3 * n, 1, PO_SDE_HEUN, drift_sde, NULL,
                                                       sigma, &ctx, seed, run);
  if (!rc) {
    for (int k = 0; k < 3 * n; k++) x[k] = (float)state[k];
    for (long k = 0; k < K && !rc; k++) {
      rc = (k & 63) == 0 && po_stop_requested() ? interrupted() : po_sde_step(&sde, x, k * dt, dt);
      for (int i = 0; i < n && !rc; i++) {
        float *v = x + 3 * i;
        const float nrm = sqrtf(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
        for (int q = 0; q < 3; q++) v[q] /= nrm;
        if ((state[3 * i] < 0) != (v[0] < 0)) {
          log_flip(log, log_len, &nf, i);
        }
        state[3 * i] = v[0]; /* sign tracking; the full state is copied below */
      }
    }
    for (int k = 0; k < 3 * n; k++) state[k] = x[k];
    po_sde_free(&sde);
  }
  free(x);
  free(ctx.in);
  free(ctx.out);
  po_omp_threads_pop(omp_caller);
  *nf_out = nf;
  return rc;
}

static int run_shot(const shot *s, double *state, uint64_t seed, uint64_t run, int *log,
                    int log_len, long *flips) {
  if (log)
    for (int k = 0; k < log_len; k++) log[k] = -1;
  long nf = 0;
  int rc = s->c->sde ? run_shot_sde(s, state, seed, run, log, log_len, &nf)
                     : run_shot_cvode(s, state, log, log_len, &nf);
  if (!rc && flips) *flips = nf;
  return rc;
}

/* Unit vectors along (x0_i, 0, z0) plus transverse projection noise of std
 * 1/sqrt(N_atoms) (spin coherent state of N_atoms/2). */
static void prepare(int n, const double *x0, double z0, double n_atoms, po_rng *r, double *state) {
  const double sd = 1 / sqrt(n_atoms);
  for (int i = 0; i < n; i++) {
    double *v = state + 3 * i;
    v[0] = x0 ? x0[i] : 0;
    v[1] = 0;
    v[2] = z0;
    for (int a = 0; a < 3; a++) v[a] += sd * po_rng_normal(r);
    const double nrm = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    for (int a = 0; a < 3; a++) v[a] /= nrm;
  }
}

static void book(po_backend *b, const cav_cfg *c, int shots, double wall) {
  double pump_w = 0, photon_j = 0, prep_j = 0, prep_s = 0;
  po_backend_energy_cost(b, "pump_power_w", &pump_w);
  po_backend_energy_cost(b, "photon_j", &photon_j);
  po_backend_energy_cost(b, "atom_prep_j", &prep_j);
  po_backend_energy_cost(b, "prep_time_s", &prep_s);
  const double t_shot = c->duration / (2 * M_PI * c->j0_hz); /* device seconds */
  b->ledger.wall_s += wall;
  b->ledger.device_s += shots * t_shot;
  b->ledger.run_s += t_shot;
  po_ledger_add(&b->ledger, "pump", "s", shots * t_shot, pump_w);
  po_ledger_add(&b->ledger, "cavity_photons_lost", "photons",
                shots * t_shot * 2 * (2 * M_PI * c->kappa_khz * 1e3) * c->n_photons, photon_j);
  po_ledger_add(&b->ledger, "atom_preparation", "shots", shots, prep_j);
  po_ledger_add(&b->ledger, "preparation_time", "s", shots * prep_s, 0.0);
}

/* W_self for couplings Wd (zero diagonal): self_coupling x the largest row
 * sum of |W| (fixed), or the geometry's ratio x rms(W_ij) (geometry). */
static double self_interaction(const cav_cfg *c, int n, const double *Wd, double rowmax) {
  if (c->self_ratio < 0) return c->self_coupling * rowmax;
  double ss = 0;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) ss += i == j ? 0.0 : Wd[(long)i * n + j] * Wd[(long)i * n + j];
  return n > 1 ? c->self_ratio * sqrt(ss / ((double)n * (n - 1))) : 0.0;
}

static int cavity_recall(po_backend *b, const po_recall_task *t, int8_t *states, int trials) {
  cav_cfg c;
  int rc = read_cfg(b, &c);
  if (rc) return rc;
  const double t0 = omp_get_wtime();
  if (t->dynamics != PO_DYN_SEMICLASSICAL) {
    double flips = 0, attempts = 0;
    rc = po_recall_discrete(t, states, trials, &flips, &attempts);
    if (!rc) {
      book(b, &c, trials, omp_get_wtime() - t0);
      po_ledger_add(&b->ledger, "spin_flips", "flips", flips, 0.0);
    }
    return rc;
  }
  if (!t->W || t->n < 1 || trials < 0) return po_error(PO_ERR_ARG, "recall: invalid task");
  const int n = t->n;
  double *Wd = malloc(sizeof(double) * (size_t)n * n);
  if (!Wd) return po_error(PO_ERR_NOMEM, "cavity: out of memory");
  for (long k = 0; k < (long)n * n; k++) Wd[k] = t->W[k];
  double rowmax = 0;
  for (int i = 0; i < n; i++) {
    double r = 0;
    Wd[(long)i * n + i] = 0;
    for (int j = 0; j < n; j++) r += fabs(Wd[(long)i * n + j]);
    rowmax = fmax(rowmax, r);
  }
  if (!(rowmax > 0)) rowmax = 1;
  /* The diagonal carries the self-interaction W_self of each ensemble. */
  const double w_self = self_interaction(&c, n, Wd, rowmax);
  for (int i = 0; i < n; i++) Wd[(long)i * n + i] = w_self;
  const double omz = c.omega_z > 0 ? c.omega_z : 1e-3 * rowmax;
  shot s = {n,          Wd, &c, t->schedule, omz / (w_self > 0 ? w_self : rowmax), c.pump_start,
            c.pump_end, 1};
  double flips_all = 0;
  po_error_slot err;
  po_error_slot_init(&err);
  const int threads = po_threads_resolve(t->threads);
#pragma omp parallel for schedule(dynamic) num_threads(threads) reduction(+ : flips_all)
  for (int r = 0; r < trials; r++) {
    int my = PO_OK;
#pragma omp atomic read
    my = err.code;
    if (!my && po_stop_requested()) po_error_slot_capture(&err, r, my = interrupted());
    if (my) continue;
    double *state = malloc(sizeof(double) * 3 * n), *x0 = malloc(sizeof(double) * n);
    po_rng rng;
    po_rng_init(&rng, t->seed, t->run_id, (uint64_t)r);
    long nf = 0;
    int8_t *sr = states + (long)r * n;
    if (!state || !x0) {
      my = po_error(PO_ERR_NOMEM, "cavity: out of memory");
    } else {
      for (int i = 0; i < n; i++) x0[i] = sr[i] >= 0 ? 1.0 : -1.0;
      prepare(n, x0, 0.0, c.n_atoms, &rng, state);
      my = run_shot(&s, state, t->seed, po_hash2(t->run_id, (uint64_t)r + 1),
                    t->flip_log ? t->flip_log + (long)r * t->flip_log_len : NULL, t->flip_log_len,
                    &nf);
    }
    if (!my) {
      int conv = 1;
      for (int i = 0; i < n; i++) sr[i] = state[3 * i] >= 0 ? 1 : -1;
      for (int i = 0; i < n; i++) {
        double h = 0;
        for (int j = 0; j < n; j++) h += j == i ? 0.0 : Wd[(long)i * n + j] * sr[j];
        if (sr[i] * h < -1e-9 * rowmax) conv = 0;
      }
      if (t->flips) t->flips[r] = nf;
      if (t->converged) t->converged[r] = conv;
      flips_all += nf;
    } else {
      po_error_slot_capture(&err, r, my);
    }
    free(state);
    free(x0);
  }
  free(Wd);
  if (err.code) return po_error_slot_raise(&err);
  book(b, &c, trials, omp_get_wtime() - t0);
  po_ledger_add(&b->ledger, "spin_flips", "flips", flips_all, 0.0);
  return PO_OK;
}

/* W = -J (the cavity's ferromagnetic convention, problem.h) as a dense
 * n x n matrix, with the self-interaction of self_interaction() on the
 * diagonal. */
static int anneal_couplings(const po_ising *m, const cav_cfg *c, double **out) {
  const int n = m->n;
  double *Wd = calloc((size_t)n * n, sizeof(double));
  if (!Wd) return po_error(PO_ERR_NOMEM, "cavity: out of memory");
  if (m->storage == PO_STORAGE_DENSE) {
    for (long k = 0; k < (long)n * n; k++) Wd[k] = -m->dense[k];
  } else {
    for (int i = 0; i < n; i++)
      for (int64_t k = m->row_ptr[i]; k < m->row_ptr[i + 1]; k++)
        Wd[(long)i * n + m->col[k]] = -m->val[k];
  }
  double rowmax = 0;
  for (int i = 0; i < n; i++) {
    double r = 0;
    Wd[(long)i * n + i] = 0;
    for (int j = 0; j < n; j++) r += fabs(Wd[(long)i * n + j]);
    rowmax = fmax(rowmax, r);
  }
  const double w_self = self_interaction(c, n, Wd, rowmax);
  for (int i = 0; i < n; i++) Wd[(long)i * n + i] = w_self;
  *out = Wd;
  return PO_OK;
}

/* Largest algebraic eigenvalue of W + W_self by 200 shifted power
 * iterations (1 when not positive): the normal phase ends at
 * g lambda_max = omega_z. */
static int top_eigenvalue(const double *Wd, int n, double *lambda) {
  double lam = 0, *v = malloc(sizeof(double) * n), *w = malloc(sizeof(double) * n);
  if (!v || !w) {
    free(v);
    free(w);
    return po_error(PO_ERR_NOMEM, "cavity: out of memory");
  }
  for (int i = 0; i < n; i++) v[i] = 1.0 + 0.01 * (i % 7);
  for (int it = 0; it < 200; it++) {
    double nrm = 0;
    for (int i = 0; i < n; i++) {
      w[i] = 0;
      for (int j = 0; j < n; j++) w[i] += Wd[(long)i * n + j] * v[j];
      w[i] += 1e3 * v[i]; /* shift: power iteration finds the largest algebraic eigenvalue */
      nrm += w[i] * w[i];
    }
    nrm = sqrt(nrm);
    lam = nrm - 1e3;
    for (int i = 0; i < n; i++) v[i] = w[i] / nrm;
  }
  free(v);
  free(w);
  *lambda = lam > 0 ? lam : 1;
  return PO_OK;
}

/* One shot from all spins down (x = 0, z = -1) through the pump ramp;
 * spins and the Ising energy (off-diagonal W only) of replica r. */
static int anneal_replica(const shot *s, const po_ising *m, const po_anneal_opts *o, int r,
                          po_samples *out) {
  const int n = s->n;
  if (po_stop_requested()) return interrupted();
  double *state = malloc(sizeof(double) * 3 * n);
  if (!state) return po_error(PO_ERR_NOMEM, "cavity: out of memory (replica %d)", r);
  po_rng rng;
  po_rng_init(&rng, o->seed, o->run_id, (uint64_t)r);
  prepare(n, NULL, -1.0, s->c->n_atoms, &rng, state);
  int rc = run_shot(s, state, o->seed, po_hash2(o->run_id, (uint64_t)r + 1), NULL, 0, NULL);
  if (!rc) {
    int8_t *sp = out->spins + (long)r * n;
    double e = m->offset;
    for (int i = 0; i < n; i++) sp[i] = state[3 * i] >= 0 ? 1 : -1;
    for (int i = 0; i < n; i++)
      for (int j = i + 1; j < n; j++) e -= s->Wd[(long)i * n + j] * sp[i] * sp[j];
    out->energy[r] = e;
  }
  free(state);
  return rc;
}

static int cavity_anneal(po_backend *b, const po_ising *m, const po_schedule *sched,
                         const po_anneal_opts *o, po_samples *out) {
  cav_cfg c;
  int rc = read_cfg(b, &c);
  if (rc) return rc;
  if (m->h)
    return po_error(PO_ERR_UNSUPPORTED,
                    "backend cavity: ising_anneal does not support local fields h_i (the cavity "
                    "couples spins pairwise only)");
  const int n = m->n;
  if (n > 4096) return po_error(PO_ERR_ARG, "backend cavity: n = %d exceeds 4096 ensembles", n);
  double *Wd = NULL, lam = 1;
  if ((rc = anneal_couplings(m, &c, &Wd))) return rc;
  if ((rc = top_eigenvalue(Wd, n, &lam)) || (rc = po_samples_alloc(out, o->replicas, n))) {
    free(Wd);
    return rc;
  }
  cav_cfg ca = c;
  ca.omega_z = c.omega_z > 0 ? c.omega_z : 0.05;
  if (o->steps > 1 && c.sde) ca.sde_steps = o->steps;
  /* Schedule values in units of the collective threshold
   * g_c = omega_z / lambda_max(W + W_self); default ramp linear 0 -> 3. */
  shot s = {n, Wd, &ca, sched, ca.omega_z / lam, 0.0, 3.0, 0};
  po_error_slot err;
  po_error_slot_init(&err);
  const double t0 = omp_get_wtime();
#pragma omp parallel for schedule(dynamic) num_threads(po_threads_resolve(o->threads))
  for (int r = 0; r < o->replicas; r++)
    po_error_slot_capture(&err, r, anneal_replica(&s, m, o, r, out));
  free(Wd);
  if (err.code) {
    po_samples_free(out);
    return po_error_slot_raise(&err);
  }
  book(b, &ca, o->replicas, omp_get_wtime() - t0);
  return PO_OK;
}

/* --steps sets the stochastic Heun steps per shot (integrator = sde; the
 * default CVODE integrator chooses its own steps and ignores it): the
 * default equals the sde_steps parameter default, so `physopt solve
 * --backend cavity --set cavity.integrator=sde` without --steps integrates
 * as the backend documents (20000 steps over duration 200, dt = 0.01). */
static const po_algorithm cavity_algorithms[] = {
    {"semiclassical", "transverse-pump ramp of the semiclassical spin-ensemble dynamics",
     cavity_anneal, 20000},
    {NULL, NULL, NULL, 0},
};

const po_backend_ops po_backend_ops_cavity = {
    .name = "cavity",
    .summary = "confocal-cavity QED spin ensembles (Marsh et al. PRX 2021): steepest-descent and "
               "semiclassical recall, pump-ramp annealing",
    .caps = PO_CAP_RECALL | PO_CAP_ISING,
    .fallback = "cpu",
    .params = &po_cavity_params,
    .energy = &po_cavity_energy,
    .recall = cavity_recall,
    .recall_dynamics = "glauber|steepest|semiclassical",
    .algorithms = cavity_algorithms,
};
