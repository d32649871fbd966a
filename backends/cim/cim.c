/* Coherent Ising machine backend: OPO-network models (physics/opo.h) with
 * plain, AHC and CAC feedback, device time from fibre-ring round trips and
 * an energy ledger.  The anneal engine is in cim_anneal.c; docs/cim.md has
 * the equations, sources and measured figures. */
#include <string.h>
#include "backends/cim/cim.h"
#include "physics/cim_landscape.h"
#include "physopt/error.h"

/* Sources of the defaults:
 *  [CO]  cim-optimizer (McMahon lab, Cornell,
 *        github.com/mcmahon-lab/cim-optimizer, CC BY 4.0): CAC defaults tuned
 *        for fully connected +/-1 SK instances with N = 100
 *        (optimal_params.py, sk_100_fc_params) and the AHC defaults of
 *        AHC.py, taken from the supplement of Leleu et al., PRL 122, 040607
 *        (2019), including AHC.py's energy-dependent target (ahc_target_mode,
 *        docs/cim.md).
 *  [W13] Wang, Marandi, Wen, Byer, Yamamoto, PRA 88, 063853 (2013):
 *        normalised OPO equations (x^3 saturation, threshold p = 1).
 *  [R21] Reifenstein, Kako, Khoyratee, Leleu, Yamamoto, Adv. Quantum Technol.
 *        4, 2100077 (2021), "Coherent Ising machines with optical error
 *        correction circuits": CFC Eqs. (3)-(5), SFC Eqs. (6)-(8); SFC ramps
 *        p -1 -> 1 and c 1 -> 3 (Sec. 3, Fig. 5).
 *  [MQ]  MindQuantum (Huawei, Apache-2.0), mindquantum/algorithm/qaia/CFC.py
 *        and SFC.py, implementations of [R21]: defaults dt = 0.1,
 *        xi = sqrt(2 N / sum J^2), CFC p = -1 -> 1 over 90% of the steps then
 *        1, alpha = 1, beta = 0.15, |x| <= 1.5, e >= 0.01; SFC p = -1 -> 1,
 *        beta = 0.3 -> 0, c = 1 -> 3, k = 0.2.
 *  [H21] Honjo et al., Sci. Adv. 7, eabh0952 (2021): 100,512 pulses in a
 *        5 km fibre ring.
 *  [G16] H. Goto, Sci. Rep. 6, 21686 (2016): the Kerr-parametric-oscillator
 *        network; [G19] H. Goto, K. Tatsumura, A. R. Dixon, Sci. Adv. 5,
 *        eaav2372 (2019), Eqs. (1)-(2): its classical limit (physics/kpo.h). */
#define CIM_RECIPE_CHOICE_(e, name, rule) "|" name
static const po_param_spec cim_specs[] = {
    {"dt", PO_PARAM_DOUBLE, "0.05", 1e-6, 1.0, NULL, "photon lifetimes",
     "integration time step; one step = round_trips_per_step round trips ([CO] time_step)"},
    {"mu", PO_PARAM_DOUBLE, "0.8", 0.0, 100.0, NULL, "1",
     "gain-saturation coefficient of the -mu x^3 term ([CO] sk_100_fc cac_mu = 0.8; [W13]: 1)"},
    {"sigma", PO_PARAM_DOUBLE, "0", 0.0, 10.0, NULL, "1/sqrt(photon lifetime)",
     "amplitude noise, enters as sigma sqrt(dt) N(0,1) per step ([CO] default noise = 0)"},
    {"eps", PO_PARAM_DOUBLE, "0", 0.0, 1e6, NULL, "1/photon lifetime",
     "coupling strength; 0 = automatic: <alg>_eps_scale / norm(J), see eps_norm"},
    {"eps_norm", PO_PARAM_STRING, "rms", 0, 0, "rms|abs", "",
     "norm of J for automatic eps: rms = sqrt(sum_ij J_ij^2 / N) (SK, [CO] sk_100_fc beta = "
     "0.3 = 3/sqrt(99)); abs = sum_ij |J_ij| / N ([CO] G-set beta = 3 N / sum|J|)"},
    {"init_amp", PO_PARAM_DOUBLE, "1e-3", 0.0, 10.0, NULL, "1",
     "initial amplitudes uniform in [-init_amp/2, init_amp/2] ([CO]: 0.001 rand - 0.0005)"},
    {"field_amp", PO_PARAM_DOUBLE, "1", 0.0, 10.0, NULL, "1",
     "reference amplitude x_h multiplying the fields h_i in the injection term (assumption)"},
    {"e_max", PO_PARAM_DOUBLE, "32", 0.0, 1e9, NULL, "1",
     "clamp of the error variables e_i, 0 = none ([CO] EMAX_FLOAT = 32)"},
    {"e_clamp", PO_PARAM_STRING, "upper", 0, 0, "upper|both", "",
     "AHC/CAC: upper = e_i <= e_max ([CO]); both = |e_i| <= e_max, which stops the sign-flipping "
     "growth of the Euler step when dt beta (x^2 - a) > 2 (non-finite amplitudes with large "
     "gamma tau; set by the sparse-maxcut recipe, docs/cim.md)"},
    {"x_max", PO_PARAM_DOUBLE, "-1", -1.0, 1e9, NULL, "1",
     "clamp of |x_i|, -1 = automatic 1/sqrt(mu dt) (beyond it the explicit Euler map of the "
     "cubic term is unstable; numerical safeguard, not physics), 0 = none"},
    {"recipe", PO_PARAM_STRING, "auto", 0, 0, "none|auto" PO_PROBLEM_CLASSES(CIM_RECIPE_CHOICE_),
     "",
     "scale-aware defaults for cac (docs/cim.md): auto = the recipe of the instance's class "
     "(po_problem_classify), or a class; its configs/cim-recipes/CLASS.ini values apply to every "
     "cim key not set explicitly; left at the default auto, only when no cim key is set; none = "
     "the table's defaults (cim-optimizer's)"},
    {"refresh", PO_PARAM_INT, "2000", 1, 1000000000, NULL, "steps",
     "recompute local fields exactly every this many steps (non-integer couplings only)"},
    /* CAC */
    {"cac_pump", PO_PARAM_DOUBLE, "-0.2", -10.0, 10.0, NULL, "threshold units",
     "CAC pump p (constant unless a schedule is given) ([CO] sk_100_fc cac_r = -0.2)"},
    {"cac_eps_scale", PO_PARAM_DOUBLE, "3", 0.0, 1e6, NULL, "1",
     "CAC automatic coupling eps = cac_eps_scale / norm(J) ([CO] sk_100_fc: 0.3 at N = 100)"},
    {"alpha", PO_PARAM_DOUBLE, "0.7", 0.0, 100.0, NULL, "amplitude^2",
     "CAC base target amplitude ([CO] sk_100_fc cac_alpha)"},
    {"rho", PO_PARAM_DOUBLE, "1.2", 0.0, 100.0, NULL, "amplitude^2",
     "CAC target modulation rho tanh(delta (H - H_opt)) ([CO] sk_100_fc cac_rho)"},
    {"delta", PO_PARAM_DOUBLE, "12", 0.0, 1e6, NULL, "1/energy",
     "CAC target modulation steepness ([CO] sk_100_fc cac_delta); see delta_norm"},
    {"delta_norm", PO_PARAM_STRING, "energy", 0, 0, "energy|weight", "",
     "unit of delta: energy = 1/energy as [CO]; weight = 1/(rms nonzero |J_ij|), i.e. delta / "
     "rms weight, invariant under a scaling of J (the same for +-1 and unit weights; used by "
     "the recipes, docs/cim.md \"Scale-aware defaults\")"},
    {"gamma", PO_PARAM_DOUBLE, "0.01", 0.0, 1e6, NULL, "1/photon lifetime^2",
     "CAC growth rate of the error rate xi ([CO] sk_100_fc cac_gamma); plus gamma_n / N"},
    {"gamma_n", PO_PARAM_DOUBLE, "0", 0.0, 1e6, NULL, "N/photon lifetime^2",
     "CAC size-scaled growth rate: xi grows at gamma + gamma_n / N ([CO] G-set: 0.075; "
     "configs/cim-gset.ini: 2, measured, docs/cim.md)"},
    {"tau", PO_PARAM_DOUBLE, "150", 0.0, 1e12, NULL, "photon lifetimes",
     "CAC reset time of xi without improvement of H_opt ([CO] sk_100_fc cac_tau); plus tau_n N"},
    {"tau_n", PO_PARAM_DOUBLE, "0", 0.0, 1e9, NULL, "photon lifetimes",
     "CAC size-scaled reset time: tau + tau_n N ([CO] G-set: 9, its reset never fires; "
     "configs/cim-gset.ini: 0.25, measured, docs/cim.md)"},
    /* AHC */
    {"ahc_pump", PO_PARAM_DOUBLE, "0.2", -10.0, 10.0, NULL, "threshold units",
     "AHC pump p ([CO] AHC.py r = 0.2, from Leleu et al. PRL 2019 supplement)"},
    {"ahc_eps_scale", PO_PARAM_DOUBLE, "0.7", 0.0, 1e6, NULL, "1",
     "AHC automatic coupling eps = ahc_eps_scale / norm(J) (0.07 at N = 100 as [CO] AHC.py)"},
    {"beta", PO_PARAM_DOUBLE, "0.05", 0.0, 1e6, NULL, "1/photon lifetime",
     "AHC error rate beta ([CO] AHC.py beta = 0.05)"},
    {"ahc_target", PO_PARAM_DOUBLE, "0.2", 0.0, 100.0, NULL, "amplitude^2",
     "AHC target amplitude a, or its baseline a0 in the energy modes ([CO] AHC.py "
     "target_a_baseline = 0.2)"},
    {"ahc_target_mode", PO_PARAM_STRING, "energy", 0, 0, "constant|energy|energy_latched", "",
     "AHC target: energy = a0 + eps mean_i s_i (K s)_i, s = sign(x) ([CO] AHC.py as it runs: "
     "its latch flag never updates; SK N = 100 success 0.12 -> 0.72, docs/cim.md); "
     "energy_latched = same with e_i latched when a spin flips ([CO] AHC.py as written); "
     "constant = a0 (Leleu et al. PRL 2019 equations)"},
    /* CFC (chaotic feedback control, [R21] Eqs. (3)-(5)) */
    {"cfc_pump_start", PO_PARAM_DOUBLE, "-1", -10.0, 10.0, NULL, "threshold units",
     "CFC pump at step 0, ramped linearly to cfc_pump_end ([MQ] CFC.py p = linspace(-1, 1))"},
    {"cfc_pump_end", PO_PARAM_DOUBLE, "1", -10.0, 10.0, NULL, "threshold units",
     "CFC pump at the end of the ramp ([MQ] CFC.py)"},
    {"cfc_ramp", PO_PARAM_DOUBLE, "0.9", 0.0, 1.0, NULL, "fraction of steps",
     "CFC pump ramp length; constant cfc_pump_end afterwards ([MQ] CFC.py Tr = 0.9 n_iter)"},
    {"cfc_eps_scale", PO_PARAM_DOUBLE, "1.41421356", 0.0, 1e6, NULL, "1",
     "CFC automatic coupling xi = cfc_eps_scale / norm(J) ([MQ] xi = sqrt(2 N / sum J^2) = "
     "sqrt(2) / rms norm)"},
    {"cfc_alpha", PO_PARAM_DOUBLE, "1", 0.0, 100.0, NULL, "1",
     "CFC target of the squared feedback z^2 ([MQ] CFC.py alpha = 1)"},
    {"cfc_beta", PO_PARAM_DOUBLE, "0.15", 0.0, 1e6, NULL, "1/photon lifetime",
     "CFC error-variable rate beta ([MQ] CFC.py beta = 0.15)"},
    {"cfc_e_min", PO_PARAM_DOUBLE, "0.01", 0.0, 1e6, NULL, "1",
     "CFC lower clamp of e_i (upper: e_max) ([MQ] CFC.py e >= 0.01)"},
    {"cfc_x_max", PO_PARAM_DOUBLE, "1.5", 0.0, 1e9, NULL, "1",
     "CFC clamp of |x_i| (0 = use x_max) ([MQ] CFC.py |x| <= 1.5)"},
    /* SFC (separated feedback control, [R21] Eqs. (6)-(8)) */
    {"sfc_pump_start", PO_PARAM_DOUBLE, "-1", -10.0, 10.0, NULL, "threshold units",
     "SFC pump at step 0, ramped linearly to sfc_pump_end ([R21] Sec. 3; [MQ] SFC.py)"},
    {"sfc_pump_end", PO_PARAM_DOUBLE, "1", -10.0, 10.0, NULL, "threshold units",
     "SFC pump at the end of the ramp ([R21] Sec. 3; [MQ] SFC.py)"},
    {"sfc_ramp", PO_PARAM_DOUBLE, "1", 0.0, 1.0, NULL, "fraction of steps",
     "SFC pump ramp length ([MQ] SFC.py ramps over all steps)"},
    {"sfc_eps_scale", PO_PARAM_DOUBLE, "1.41421356", 0.0, 1e6, NULL, "1",
     "SFC automatic coupling xi = sfc_eps_scale / norm(J) ([MQ] xi = sqrt(2 N / sum J^2))"},
    {"sfc_k", PO_PARAM_DOUBLE, "0.2", 0.0, 1e6, NULL, "1",
     "SFC error-feedback gain k of k (z - e) ([MQ] SFC.py k = 0.2)"},
    {"sfc_beta_start", PO_PARAM_DOUBLE, "0.3", 0.0, 1e6, NULL, "1/photon lifetime",
     "SFC low-pass rate beta at step 0, linear to sfc_beta_end ([MQ] SFC.py 0.3 -> 0)"},
    {"sfc_beta_end", PO_PARAM_DOUBLE, "0", 0.0, 1e6, NULL, "1/photon lifetime",
     "SFC low-pass rate beta at the last step ([MQ] SFC.py)"},
    {"sfc_gain_start", PO_PARAM_DOUBLE, "1", 0.0, 1e6, NULL, "1",
     "SFC tanh gain c of tanh(c z) at step 0, linear to sfc_gain_end ([R21] Sec. 3: 1 -> 3)"},
    {"sfc_gain_end", PO_PARAM_DOUBLE, "3", 0.0, 1e6, NULL, "1",
     "SFC tanh gain c at the last step ([R21] Sec. 3; [MQ] SFC.py)"},
    /* plain */
    {"pump_start", PO_PARAM_DOUBLE, "-1", -10.0, 10.0, NULL, "threshold units",
     "plain CIM default pump ramp start (linear; overridden by --schedule)"},
    {"pump_end", PO_PARAM_DOUBLE, "1.5", -10.0, 10.0, NULL, "threshold units",
     "plain CIM default pump ramp end"},
    {"plain_eps_scale", PO_PARAM_DOUBLE, "0.5", 0.0, 1e6, NULL, "1",
     "plain automatic coupling eps = plain_eps_scale / norm(J) (puts the network threshold "
     "near p = 0 for SK; assumption)"},
    {"method", PO_PARAM_STRING, "em", 0, 0, "em|heun", "",
     "integrator of the plain model (solvers/sde.h); feedback models use fused Euler-Maruyama"},
    /* adiabatic landscape annealing (physics/cim_landscape.h, docs/cim-adiabatic.md) */
    {"adiabatic_span", PO_PARAM_DOUBLE, "3", 0.01, 1000.0, NULL, "lambda_max(K)",
     "adiabatic pump range end a_end = a_c + span lambda_max(K), a_c = -lambda_max(K); --steps = "
     "pump steps (sign(x) of SK freezes near a_c + lambda_max, measured, docs/cim-adiabatic.md)"},
    {"adiabatic_grad_tol", PO_PARAM_DOUBLE, "1e-5", 1e-12, 1.0, NULL, "1",
     "adiabatic stationarity: relax until RMS |grad E| <= tol at each pump step"},
    {"adiabatic_init", PO_PARAM_STRING, "eigvec", 0, 0, "eigvec|random", "",
     "adiabatic start of replica 0: along the top eigenvector of K (bifurcation direction) or "
     "random; other replicas always random"},
    /* measurement-feedback CIM, Gaussian-state model (physics/mfcim.h, docs/cim.md "mfcim") */
    {"mf_pump_start", PO_PARAM_DOUBLE, "0", -10.0, 10.0, NULL, "1/photon lifetime",
     "mfcim a(t) at t = 0, a linear from mf_pump_start to mf_pump_end; p(t) = 1 + j(t) + a(t) "
     "(mf_pump_ref = threshold; ramp from 0 as ccvm mf_solver.py pump_rate_flag) or p(t) = a(t) "
     "(absolute)"},
    {"mf_pump_end", PO_PARAM_DOUBLE, "0.5", -10.0, 10.0, NULL, "1/photon lifetime",
     "mfcim a(t) at t = T (this project's choice, measured on SK N = 20, docs/cim.md)"},
    {"mf_pump_ref", PO_PARAM_STRING, "threshold", 0, 0, "threshold|absolute", "",
     "mfcim pump reference: threshold = p(t) = 1 + j(t) + a(t); absolute = p(t) = a(t) (a = 0: "
     "parametric drive off)"},
    {"mf_g2", PO_PARAM_DOUBLE, "1e-4", 1e-8, 100.0, NULL, "1/vacuum variance",
     "mfcim normalized saturation g^2 (ccvm mf_solver.py default g = 0.01)"},
    {"mf_j0", PO_PARAM_DOUBLE, "1", 1e-6, 1e4, NULL, "1/photon lifetime",
     "mfcim measurement strength at t = 0; j(t) = j0 exp(-mf_j_decay t/T) (form: ccvm MF-CCVM "
     "docs; j0 = 1 this project's choice)"},
    {"mf_j_decay", PO_PARAM_DOUBLE, "3", 0.0, 50.0, NULL, "1",
     "mfcim exponent alpha of j(t) = j0 exp(-alpha t/T) (ccvm mf_solver.py: 3)"},
    {"mf_lambda_scale", PO_PARAM_DOUBLE, "4", 0.0, 1e6, NULL, "1/photon lifetime",
     "mfcim feedback strength lambda = mf_lambda_scale / mf_lambda_norm when mf_lambda = 0 (for a "
     "symmetric spectrum the top feedback mode has net gain p - 1 - j + mf_lambda_scale; this "
     "project's choice, measured on SK, docs/cim.md)"},
    {"mf_lambda_norm", PO_PARAM_STRING, "radius", 0, 0, "radius|rms", "",
     "mfcim normalisation of lambda: spectral radius of K (Lanczos) or the rms row norm of J "
     "(before: rms with scale 2, which diverged on G14 at dt = 0.05)"},
    {"mf_lambda", PO_PARAM_DOUBLE, "0", 0.0, 1e6, NULL, "1/photon lifetime",
     "mfcim feedback strength lambda (0: from mf_lambda_scale)"},
    {"mf_closure", PO_PARAM_STRING, "gaussian", 0, 0, "gaussian|cubic", "",
     "mfcim two-photon-loss closure: gaussian = full Gaussian moments (physics/mfcim.h (M1)-(M3), "
     "derived); cubic = mean-field part only, -g^2 mu^3 (as ccvm mf_solver.py)"},
    {"mf_eval_every", PO_PARAM_INT, "10", 1, 1000000000, NULL, "steps",
     "mfcim: energy of sign(mu) evaluated every this many steps (best state kept)"},
    /* Kerr parametric oscillator network (physics/kpo.h, docs/cim.md "kpo").  Frequencies
     * in units of omega_u (omega_u / 2 pi = kpo_unit_hz), times in 1/omega_u. */
    {"kpo_kerr", PO_PARAM_DOUBLE, "1", 1e-6, 1e6, NULL, "omega_u",
     "kpo Kerr coefficient K ([G19] Eqs. (1)-(2) and [MQ] ASB use K = 1: the unit of the model)"},
    {"kpo_delta", PO_PARAM_DOUBLE, "1", 0.0, 1e6, NULL, "omega_u",
     "kpo detuning Delta; an isolated KPO bifurcates at p = Delta ([MQ] ASB delta = 1; for the "
     "KPO an assumption)"},
    {"kpo_xi", PO_PARAM_DOUBLE, "0", 0.0, 1e6, NULL, "omega_u",
     "kpo coupling xi0 (0: automatic, kpo_xi_scale Delta / lambda_max(-J))"},
    {"kpo_xi_scale", PO_PARAM_DOUBLE, "0.5", 0.0, 0.999, NULL, "1",
     "kpo automatic xi0 = kpo_xi_scale Delta / lambda_max(-J): the network bifurcates at "
     "p = Delta (1 - kpo_xi_scale) > 0, so the vacuum is stable at p = 0 as [G16]'s adiabatic "
     "start needs (this project's choice, not tuned)"},
    {"kpo_pump_start", PO_PARAM_DOUBLE, "0", -1e3, 1e3, NULL, "omega_u",
     "kpo pump p at t = 0, linear to kpo_pump_end at t = steps x kpo_dt ([G16]: p from 0)"},
    {"kpo_pump_end", PO_PARAM_DOUBLE, "2", -1e3, 1e3, NULL, "omega_u",
     "kpo pump at the end; isolated amplitude x^2 = (p - Delta) / K = 1 with the defaults (this "
     "project's choice, not tuned)"},
    {"kpo_dt", PO_PARAM_DOUBLE, "0.1", 1e-6, 10.0, NULL, "1/omega_u",
     "kpo step of the symplectic splitting (physics/kpo.h); must satisfy kpo_dt xi0 rho(J) < 2 "
     "(checked); local Kerr, detuning and pump flows are exact at any step"},
    {"kpo_init_std", PO_PARAM_DOUBLE, "0.01", 0.0, 10.0, NULL, "1",
     "kpo x(0), y(0) ~ N(0, kpo_init_std^2): the classical limit starts near x = y = 0 (0.01: "
     "the scale of SB's initial amplitudes, [MQ] SB.py); 0.5 = a truncated-Wigner sample of the "
     "vacuum (Var x = Var y = 1/4), far from the classical regime at ~1 photon (docs/cim.md)"},
    {"kpo_unit_hz", PO_PARAM_DOUBLE, "1e6", 1.0, 1e12, NULL, "Hz",
     "kpo omega_u / 2 pi: converts model time to device seconds (assumption: MHz-scale Kerr of "
     "superconducting KPOs; [G16]'s circuit values were not available)"},
    /* device */
    {"ring_length_m", PO_PARAM_DOUBLE, "5000", 1e-3, 1e9, NULL, "m",
     "fibre ring length; round trip = ring_length_m group_index / c ([H21]: 5 km)"},
    {"group_index", PO_PARAM_DOUBLE, "1.468", 1.0, 5.0, NULL, "1",
     "group index of the fibre (SMF-28 at 1550 nm, Corning datasheet: 1.4682)"},
    {"pulse_rate_hz", PO_PARAM_DOUBLE, "4.1e9", 1.0, 1e13, NULL, "Hz",
     "pulse repetition rate; ring capacity = rate x round trip must hold N pulses ([H21]: "
     "100,512 pulses per 24.5 us round trip of the 5 km ring = 4.1 GHz, derived)"},
    {"round_trips_per_step", PO_PARAM_DOUBLE, "1", 1e-6, 1e6, NULL, "round trips",
     "round trips per integration step ([CO] counts one Euler step as one round trip)"},
    {"feedback", PO_PARAM_STRING, "digital", 0, 0, "digital|optical", "",
     "how the feedback MVM is priced: digital FPGA/ASIC MACs or an optical MVM"},
    /* physical device (configs/devices/cim-*.ini; physics/cim_device.h, docs/cim.md
     * "Physical devices").  Empty device = the dimensionless model above. */
    {"device", PO_PARAM_STRING, "", 0, 0, NULL, "",
     "name of the described machine; non-empty switches on the physical-device mapping "
     "(round_trips_per_step, plain pump_end and pump power then come from device_*)"},
    {"device_summary", PO_PARAM_STRING, "", 0, 0, NULL, "",
     "one line describing the machine (listed by physopt backends cim)"},
    {"device_round_trip_loss", PO_PARAM_DOUBLE, "0.9", 1e-9, 0.999999, NULL, "1",
     "fraction of signal power lost per round trip, all ports (sets steps per round trip, "
     "docs/cim.md (D1); default: assumption, ~10 dB)"},
    {"device_n_sat", PO_PARAM_DOUBLE, "1e4", 1.0, 1e15, NULL, "photons",
     "saturation photon number: photons per pulse at pump p = 2 (sets the vacuum-noise "
     "amplitude, (D3); default: ccvm mf_solver.py g = 0.01, 1/g^2)"},
    {"device_pump_threshold_w", PO_PARAM_DOUBLE, "0.1", 1e-12, 1e6, NULL, "W",
     "average pump power at the oscillation threshold (assumption unless the device file cites "
     "it)"},
    {"device_pump_power_w", PO_PARAM_DOUBLE, "0.2", 0.0, 1e6, NULL, "W",
     "average pump power at the operating point; p_op = sqrt(P / P_th) ((D2)); priced per "
     "device second"},
    {"device_tap_ratio", PO_PARAM_DOUBLE, "0.1", 0.0, 1.0, NULL, "1",
     "power fraction tapped for the homodyne measurement (part of device_round_trip_loss)"},
    {"device_homodyne_eff", PO_PARAM_DOUBLE, "0.7", 0.0, 1.0, NULL, "1",
     "homodyne detection efficiency (mode matching x quantum efficiency)"},
    {"device_adc_bits", PO_PARAM_INT, "8", 0, 24, NULL, "bits",
     "ADC resolution of the homodyne signal, 0 = ideal"},
    {"device_dac_bits", PO_PARAM_INT, "8", 0, 24, NULL, "bits",
     "DAC resolution of the injected feedback, 0 = ideal"},
    {"device_adc_full_scale", PO_PARAM_DOUBLE, "1.5", 1e-6, 1e6, NULL, "model units of x",
     "ADC range +- this (DAC range: the largest possible feedback, full_scale x max row sum "
     "|J|); assumption"},
    {"device_feedback_delay", PO_PARAM_INT, "1", 0, 1000, NULL, "round trips",
     "round trips between a pulse's measurement and the injection computed from it"},
    {"device_detector_power_w", PO_PARAM_DOUBLE, "0", 0.0, 1e6, NULL, "W",
     "electrical power of the homodyne detectors, priced per device second"},
    {"device_fpga_power_w", PO_PARAM_DOUBLE, "0", 0.0, 1e6, NULL, "W",
     "electrical power of the feedback FPGA and converters, priced per device second"},
    {"quantum_noise", PO_PARAM_BOOL, "true", 0, 0, NULL, "",
     "with a device: truncated-Wigner vacuum noise in both quadratures ((D3))"},
    {"measured_feedback", PO_PARAM_BOOL, "true", 0, 0, NULL, "",
     "with a device: feedback from the homodyne estimate with shot noise, ADC/DAC and delay "
     "((D4), (D5))"},
};

/* Cost model; see configs/energy/cim.ini for the same values and sources. */
static const po_param_spec cim_energy_specs[] = {
    {"pump_power_w", PO_PARAM_DOUBLE, "1.0", 0.0, 1e6, NULL, "W",
     "average optical pump power into the PPLN OPO, charged for every simulated device second "
     "(order of magnitude of W-class pumps in fibre-ring CIMs; assumption, see docs/cim.md)"},
    {"digital_mac_j", PO_PARAM_DOUBLE, "4.6e-12", 0.0, 1.0, NULL, "J",
     "one feedback multiply-accumulate on digital hardware: fp32 MAC at 45 nm (Horowitz, ISSCC "
     "2014: 3.7 pJ + 0.9 pJ)"},
    {"optical_mac_j", PO_PARAM_DOUBLE, "1e-15", 0.0, 1.0, NULL, "J",
     "one MAC of an optical MVM, excluding conversions (order of magnitude for free-space/"
     "integrated optical MVMs; assumption, see docs/cim.md)"},
    {"adc_j", PO_PARAM_DOUBLE, "1e-12", 0.0, 1.0, NULL, "J",
     "one homodyne-measurement ADC conversion per pulse per round trip (~1 pJ/sample for GS/s "
     "8-bit ADCs, Murmann ADC survey; order of magnitude)"},
    {"dac_j", PO_PARAM_DOUBLE, "1e-12", 0.0, 1.0, NULL, "J",
     "one feedback-injection DAC conversion per pulse per round trip (order of magnitude, as "
     "adc_j)"},
    {"kpo_cryostat_w", PO_PARAM_DOUBLE, "10000", 0.0, 1e9, NULL, "W",
     "kpo: wall power of the dilution refrigerator holding the superconducting KPOs, per device "
     "second (order of magnitude of a pulse-tube compressor; assumption)"},
};

const po_param_section po_cim_params = {"cim", cim_specs, sizeof cim_specs / sizeof cim_specs[0]};
const po_param_section po_cim_energy = {"energy.cim", cim_energy_specs,
                                        sizeof cim_energy_specs / sizeof cim_energy_specs[0]};

int cim_config_read(const po_backend *b, cim_config *c) {
  memset(c, 0, sizeof *c);
  struct {
    const char *key;
    double *dst;
  } dbl[] = {{"dt", &c->dt},
             {"mu", &c->mu},
             {"sigma", &c->sigma},
             {"eps", &c->eps},
             {"init_amp", &c->init_amp},
             {"field_amp", &c->field_amp},
             {"e_max", &c->e_max},
             {"x_max", &c->x_max},
             {"alpha", &c->alpha},
             {"rho", &c->rho},
             {"delta", &c->delta},
             {"gamma", &c->gamma},
             {"gamma_n", &c->gamma_n},
             {"tau", &c->tau},
             {"tau_n", &c->tau_n},
             {"beta", &c->beta},
             {"ahc_target", &c->ahc_target},
             {"pump_start", &c->pump_start},
             {"pump_end", &c->pump_end},
             {"ring_length_m", &c->ring_length_m},
             {"group_index", &c->group_index},
             {"pulse_rate_hz", &c->pulse_rate_hz},
             {"round_trips_per_step", &c->round_trips_per_step}};
  int rc;
  for (size_t i = 0; i < sizeof dbl / sizeof dbl[0]; i++)
    if ((rc = po_backend_param_double(b, dbl[i].key, dbl[i].dst))) return rc;
  const char *norm;
  if ((rc = po_backend_param_string(b, "eps_norm", &norm))) return rc;
  c->eps_abs_norm = !strcmp(norm, "abs");
  if ((rc = po_backend_param_string(b, "method", &c->method))) return rc;
  const char *mode;
  if ((rc = po_backend_param_string(b, "ahc_target_mode", &mode))) return rc;
  c->ahc_target_mode = !strcmp(mode, "energy")           ? CIM_AHC_TARGET_ENERGY
                       : !strcmp(mode, "energy_latched") ? CIM_AHC_TARGET_ENERGY_LATCHED
                                                         : CIM_AHC_TARGET_CONSTANT;
  if ((rc = po_backend_param_string(b, "feedback", &c->feedback))) return rc;
  if ((rc = po_backend_param_int(b, "refresh", &c->refresh))) return rc;
  struct {
    const char *key;
    double *dst;
  } en[] = {{"pump_power_w", &c->pump_power_w},
            {"digital_mac_j", &c->digital_mac_j},
            {"optical_mac_j", &c->optical_mac_j},
            {"adc_j", &c->adc_j},
            {"dac_j", &c->dac_j}};
  for (size_t i = 0; i < sizeof en / sizeof en[0]; i++)
    if ((rc = po_backend_energy_cost(b, en[i].key, en[i].dst))) return rc;
  return cim_device_apply(b, c);
}

/* With a device description, the mapping (physics/cim_device.h) replaces the
 * free knobs it determines: round trips per step (D1), the plain pump ramp's
 * end (D2) and the pump power priced per device second. */
int cim_device_apply(const po_backend *b, cim_config *c) {
  int rc = po_cim_device_read(b->params, &po_cim_params, &c->dev);
  if (rc || !po_cim_device_on(&c->dev)) return rc;
  if ((rc = po_cim_device_map(&c->dev, c->dt, c->mu, &c->model))) return rc;
  c->device_on = 1;
  c->round_trips_per_step = c->dt / c->model.kappa_rt;
  c->pump_end = c->model.pump_op;
  c->pump_power_w = c->dev.pump_power_w;
  return PO_OK;
}

void cim_describe_model(po_ledger *l, const cim_config *c, int quantum, int measured) {
  const int on = c->device_on;
  po_ledger_model_set(l, "mode", PO_MODEL_TEXT,
                      on ? "device" : "dimensionless (cim-optimizer compatible)", 0);
  po_ledger_model_set(l, "device", PO_MODEL_TEXT, on ? c->dev.name : "", 0);
  po_ledger_model_set(l, "quantum_noise", PO_MODEL_FLAG, NULL, on && quantum);
  po_ledger_model_set(l, "measured_feedback", PO_MODEL_FLAG, NULL, on && measured);
  po_ledger_model_set(l, "classical_noise_sigma", PO_MODEL_NUMBER, NULL, c->sigma);
  po_ledger_model_set(l, "round_trips_per_step", PO_MODEL_NUMBER, NULL, c->round_trips_per_step);
  if (!on) return;
  const po_cim_model *m = &c->model;
  const struct {
    const char *key;
    double v;
  } num[] = {{"photon_lifetimes_per_round_trip", m->kappa_rt},
             {"steps_per_round_trip", m->steps_per_round_trip},
             {"pump_operating", m->pump_op},
             {"noise_vacuum", m->noise_vacuum},
             {"measurement_sigma", m->meas_sigma},
             {"feedback_gain", m->feedback_gain},
             {"adc_step", m->adc_step},
             {"n_sat", c->dev.n_sat}};
  for (size_t i = 0; i < sizeof num / sizeof num[0]; i++)
    po_ledger_model_set(l, num[i].key, PO_MODEL_NUMBER, NULL, num[i].v);
  po_ledger_model_set(l, "steps_per_measurement", PO_MODEL_INT, NULL,
                      (double)m->steps_per_measurement);
  po_ledger_model_set(l, "feedback_delay_round_trips", PO_MODEL_INT, NULL,
                      (double)c->dev.feedback_delay);
}

int cim_ring_round_trip(const cim_config *c, long n, double *t_rt) {
  *t_rt = c->ring_length_m * c->group_index / 299792458.0;
  const double capacity = c->pulse_rate_hz * *t_rt;
  if ((double)n > capacity)
    return po_error(PO_ERR_ARG,
                    "backend cim: N = %ld spins do not fit in the ring (%.0f pulses = "
                    "cim.pulse_rate_hz x round trip %.3g s); raise cim.ring_length_m or "
                    "cim.pulse_rate_hz",
                    n, capacity, *t_rt);
  return PO_OK;
}

void cim_book_ledger(po_backend *be, const cim_config *c, const po_ising *m, int R, long K,
                     double t_rt, double wall_s) {
  const long n = m->n;
  const double t_step = c->round_trips_per_step * t_rt;
  const double rts = (double)R * (double)K * c->round_trips_per_step;
  const double nnz =
      m->storage == PO_STORAGE_DENSE ? (double)n * (double)(n - 1) : (double)m->row_ptr[n];
  po_ledger *l = &be->ledger;
  l->wall_s += wall_s;
  l->device_s += rts * t_rt;
  l->run_s += (double)K * t_step;
  po_ledger_add(l, "round_trips", "round trips", rts, c->pump_power_w * t_rt);
  const int optical = !strcmp(c->feedback, "optical");
  po_ledger_add(l, optical ? "feedback_optical_macs" : "feedback_digital_macs", "MAC", rts * nnz,
                optical ? c->optical_mac_j : c->digital_mac_j);
  po_ledger_add(l, "adc_conversions", "samples", rts * (double)n, c->adc_j);
  po_ledger_add(l, "dac_conversions", "samples", rts * (double)n, c->dac_j);
  if (c->device_on) {
    po_ledger_add(l, "detectors", "s", rts * t_rt, c->dev.detector_power_w);
    po_ledger_add(l, "feedback_electronics", "s", rts * t_rt, c->dev.fpga_power_w);
  }
}

int cim_coupling_extremes(const po_ising *m, uint64_t seed, double *top_k, double *top_j) {
  const long n = m->n;
  po_ising *neg = NULL;
  int rc = po_cim_top_eigvec(m, seed, NULL, top_k, NULL);
  if (rc) return rc;
  rc = m->storage == PO_STORAGE_DENSE ? po_ising_to_dense(m, &neg) : po_ising_to_csr(m, &neg);
  if (rc) return rc;
  if (neg->storage == PO_STORAGE_DENSE)
    for (size_t k = 0; k < (size_t)n * (size_t)n; k++) neg->dense[k] = -neg->dense[k];
  else
    for (int64_t k = 0; k < neg->row_ptr[n]; k++) neg->val[k] = -neg->val[k];
  rc = po_cim_top_eigvec(neg, seed, NULL, top_j, NULL); /* top of -K = J */
  po_ising_destroy(neg);
  return rc;
}

/* Default steps, measured (docs/cim.md, "Default steps"): CAC, default
 * [cim], 32 replicas on the ten SK N = 100 instances, mean per-replica
 * success 0.49 at 10^3 steps, 0.75 at 3 x 10^3, 0.79 at 10^4; G22 with
 * configs/cim-gset.ini, 16 replicas: best cut 13267 / 13301 / 13356 (best
 * known 13359) at 10^3 / 3 x 10^3 / 10^4 steps.  cim-optimizer runs 10^4 to
 * 10^5 steps.  adiabatic: --steps is pump steps; give ~100. */
static const po_algorithm cim_algorithms[] = {
    {"cac", "chaotic amplitude control (Leleu et al. Commun. Phys. 4, 266, 2021)", cim_cac_anneal,
     10000},
    {"ahc", "amplitude-heterogeneity correction (Leleu et al. PRL 122, 040607, 2019)",
     cim_ahc_anneal, 10000},
    {"plain", "OPO network with linear coupling, no feedback control", cim_plain_anneal, 10000},
    {"adiabatic", "adiabatic pump stepping along the landscape's bifurcations",
     cim_adiabatic_anneal, 10000},
    {"cfc", "chaotic feedback control ([R21] Eqs. 3-5)", cim_cfc_anneal, 10000},
    {"sfc", "separated feedback control ([R21] Eqs. 6-8)", cim_sfc_anneal, 10000},
    {"mfcim", "measurement-feedback CIM, Gaussian-state model", cim_mfcim_anneal, 10000},
    {"kpo", "Kerr-parametric-oscillator network, classical limit ([G16], [G19] Eqs. 1-2)",
     cim_kpo_anneal, 10000},
    {NULL, NULL, NULL, 0},
};

const po_backend_ops po_backend_ops_cim = {
    .name = "cim",
    .summary = "coherent Ising machine: OPO network with CAC, AHC, CFC, SFC or no feedback, "
               "measurement-feedback Gaussian-state model (mfcim), adiabatic "
               "landscape annealing (fibre-ring device time and energy)",
    .caps = PO_CAP_ISING,
    .fallback = "cpu",
    .params = &po_cim_params,
    .energy = &po_cim_energy,
    .algorithms = cim_algorithms,
};
