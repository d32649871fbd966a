/* Multilayer perceptron on any backend (see include/physopt/learn.h).
 *
 * Forward:  Z_l = W_l H_{l-1} + b_l,  H_l = ReLU(Z_l) (hidden),
 *           P = softmax(Z_L) per sample,  loss = -(1/B) sum_s log P[y_s, s].
 * Backward: dZ_L = (P - onehot(y)) / B;  dW_l = dZ_l H_{l-1}^T;
 *           db_l = sum_s dZ_l;  dZ_{l-1} = (W_l^T dZ_l) * [Z_{l-1} > 0].
 * Optimisers: SGD with momentum v <- mu v - lr g, w <- w + v; Adam (Kingma &
 * Ba, ICLR 2015) with beta1 = 0.9, beta2 = 0.999, eps = 1e-8.
 * Weights: He-normal N(0, 2 / fan_in) (He et al., ICCV 2015). */
#include <cblas.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "physopt/error.h"
#include "physopt/learn.h"
#include "physopt/rng.h"
#include "solvers/sgemm.h"

int po_mlp_parse_sizes(const char *spec, int *n_layers, int sizes[PO_MLP_MAX_LAYERS + 1]) {
  int n = 0;
  const char *p = spec;
  while (*p) {
    char *end;
    long v = isdigit((unsigned char)*p) ? strtol(p, &end, 10) : (end = (char *)p, 0);
    if (end == p || v < 1 || v > 1000000)
      return po_error(PO_ERR_ARG,
                      "layer sizes '%s': expected positive integers joined by '-' "
                      "(e.g. 784-100-100-10)",
                      spec);
    if (n > PO_MLP_MAX_LAYERS)
      return po_error(PO_ERR_ARG, "layer sizes '%s': at most %d weight layers", spec,
                      PO_MLP_MAX_LAYERS);
    sizes[n++] = (int)v;
    if (*end == '-' && end[1] != '\0')
      p = end + 1;
    else if (*end == '\0')
      p = end;
    else
      return po_error(PO_ERR_ARG, "layer sizes '%s': unexpected '%c'", spec, *end);
  }
  if (n < 2) return po_error(PO_ERR_ARG, "layer sizes '%s': need at least input and output", spec);
  *n_layers = n - 1;
  return PO_OK;
}

void po_mlp_destroy(po_mlp *m) {
  if (!m) return;
  for (int l = 0; l < m->n_layers; l++) {
    free(m->W[l]);
    free(m->b[l]);
  }
  free(m);
}

int po_mlp_create(int n_layers, const int *sizes, uint64_t seed, po_mlp **out) {
  *out = NULL;
  if (n_layers < 1 || n_layers > PO_MLP_MAX_LAYERS)
    return po_error(PO_ERR_ARG, "MLP: %d weight layers (accepted: 1..%d)", n_layers,
                    PO_MLP_MAX_LAYERS);
  for (int l = 0; l <= n_layers; l++)
    if (sizes[l] < 1) return po_error(PO_ERR_ARG, "MLP: layer %d has size %d", l, sizes[l]);
  po_mlp *m = calloc(1, sizeof *m);
  if (!m) return po_error(PO_ERR_NOMEM, "out of memory");
  m->n_layers = n_layers;
  memcpy(m->sizes, sizes, sizeof(int) * (size_t)(n_layers + 1));
  for (int l = 0; l < n_layers; l++) {
    size_t nw = (size_t)sizes[l + 1] * sizes[l];
    m->W[l] = malloc(sizeof(float) * nw);
    m->b[l] = calloc((size_t)sizes[l + 1], sizeof(float));
    if (!m->W[l] || !m->b[l]) {
      po_mlp_destroy(m);
      return po_error(PO_ERR_NOMEM, "out of memory for MLP layer %d", l);
    }
    po_rng r;
    po_rng_init(&r, seed, (uint64_t)l, 0);
    double sd = sqrt(2.0 / sizes[l]);
    for (size_t t = 0; t < nw; t++) m->W[l][t] = (float)(sd * po_rng_normal(&r));
  }
  *out = m;
  return PO_OK;
}

void po_train_opts_default(po_train_opts *o) {
  memset(o, 0, sizeof *o);
  o->epochs = 10;
  o->batch = 64;
  o->optimizer = "adam";
  o->lr = 1e-3;
  o->momentum = 0.9;
  o->lr_decay = 0.8;
  o->weight_decay = 0.0;
  o->seed = 1;
}

/* ---- workspace ------------------------------------------------------------ */

typedef struct mlp_ws {
  int L, B;
  float *Z[PO_MLP_MAX_LAYERS]; /* sizes[l+1] x B */
  float *H[PO_MLP_MAX_LAYERS]; /* hidden activations (l < L-1); P for l = L-1 */
  float *Wq[PO_MLP_MAX_LAYERS];
  float *dZ, *dZ2; /* max size x B */
  float *X;        /* B x dim gathered batch */
  int *y;
} mlp_ws;

static void ws_free(mlp_ws *w) {
  for (int l = 0; l < w->L; l++) {
    free(w->Z[l]);
    free(w->H[l]);
    free(w->Wq[l]);
  }
  free(w->dZ);
  free(w->dZ2);
  free(w->X);
  free(w->y);
  memset(w, 0, sizeof *w);
}

static int ws_alloc(mlp_ws *w, const po_mlp *m, int B) {
  memset(w, 0, sizeof *w);
  w->L = m->n_layers;
  w->B = B;
  int mx = 0;
  for (int l = 0; l <= m->n_layers; l++) mx = m->sizes[l] > mx ? m->sizes[l] : mx;
  int ok = 1;
  for (int l = 0; l < m->n_layers; l++) {
    w->Z[l] = malloc(sizeof(float) * (size_t)m->sizes[l + 1] * B);
    w->H[l] = malloc(sizeof(float) * (size_t)m->sizes[l + 1] * B);
    ok &= w->Z[l] && w->H[l];
    if (m->quant_w_bits) {
      w->Wq[l] = malloc(sizeof(float) * (size_t)m->sizes[l + 1] * m->sizes[l]);
      ok &= w->Wq[l] != NULL;
    }
  }
  w->dZ = malloc(sizeof(float) * (size_t)mx * B);
  w->dZ2 = malloc(sizeof(float) * (size_t)mx * B);
  w->X = malloc(sizeof(float) * (size_t)m->sizes[0] * B);
  w->y = malloc(sizeof(int) * (size_t)B);
  ok &= w->dZ && w->dZ2 && w->X && w->y;
  if (!ok) {
    ws_free(w);
    return po_error(PO_ERR_NOMEM, "out of memory for MLP workspace (batch %d)", B);
  }
  return PO_OK;
}

/* ---- products ---------------------------------------------------------------- */

static int mm(po_backend *b, po_trans ta, po_trans tb, int M, int N, int K, const float *A, int lda,
              const float *B, int ldb, float *C, int ldc) {
  if (b) return po_backend_matmul(b, ta, tb, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, ldc);
  po_sgemm_det(ta == PO_TRANS, tb == PO_TRANS, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, ldc);
  return PO_OK;
}

/* Signed symmetric fake quantisation to `bits` (per tensor). */
static void fake_quant_signed(const float *x, float *q, size_t n, int bits) {
  float mx = 0;
  for (size_t i = 0; i < n; i++) mx = fmaxf(mx, fabsf(x[i]));
  if (mx == 0) {
    memcpy(q, x, n * sizeof(float));
    return;
  }
  float L = (float)((1 << (bits - 1)) - 1), s = L / mx;
  for (size_t i = 0; i < n; i++) q[i] = nearbyintf(x[i] * s) / s;
}

static void fake_quant_unsigned(float *x, size_t n, int bits) {
  float mx = 0;
  for (size_t i = 0; i < n; i++) mx = fmaxf(mx, x[i]);
  if (mx == 0) return;
  float L = (float)((1u << bits) - 1), s = L / mx;
  for (size_t i = 0; i < n; i++) x[i] = nearbyintf(x[i] * s) / s;
}

static const float *weights(const po_mlp *m, mlp_ws *w, int l) {
  return m->quant_w_bits ? w->Wq[l] : m->W[l];
}

static void prepare_weights(const po_mlp *m, mlp_ws *w) {
  if (!m->quant_w_bits) return;
  for (int l = 0; l < m->n_layers; l++)
    fake_quant_signed(m->W[l], w->Wq[l], (size_t)m->sizes[l + 1] * m->sizes[l], m->quant_w_bits);
}

/* Forward pass on the batch X (B x dim, row-major); the last H holds the
 * softmax probabilities (classes x B). */
static int forward(const po_mlp *m, po_backend *b, mlp_ws *w, const float *X, int B) {
  const int L = m->n_layers;
  for (int l = 0; l < L; l++) {
    int out = m->sizes[l + 1], in = m->sizes[l];
    int rc = l == 0
                 ? mm(b, PO_NO_TRANS, PO_TRANS, out, B, in, weights(m, w, l), in, X, in, w->Z[l], B)
                 : mm(b, PO_NO_TRANS, PO_NO_TRANS, out, B, in, weights(m, w, l), in, w->H[l - 1], B,
                      w->Z[l], B);
    if (rc) return rc;
    float *Z = w->Z[l], *H = w->H[l];
    const float *bias = m->b[l];
    if (l < L - 1) {
      for (int i = 0; i < out; i++)
        for (int s = 0; s < B; s++) {
          float z = Z[(size_t)i * B + s] + bias[i];
          Z[(size_t)i * B + s] = z;
          H[(size_t)i * B + s] = z > 0 ? z : 0;
        }
      if (m->quant_act_bits) fake_quant_unsigned(H, (size_t)out * B, m->quant_act_bits);
    } else {
      for (int i = 0; i < out; i++)
        for (int s = 0; s < B; s++) Z[(size_t)i * B + s] += bias[i];
      for (int s = 0; s < B; s++) {
        float mx = -INFINITY;
        for (int i = 0; i < out; i++) mx = fmaxf(mx, Z[(size_t)i * B + s]);
        double sum = 0;
        for (int i = 0; i < out; i++) {
          float e = expf(Z[(size_t)i * B + s] - mx);
          H[(size_t)i * B + s] = e;
          sum += e;
        }
        for (int i = 0; i < out; i++) H[(size_t)i * B + s] = (float)(H[(size_t)i * B + s] / sum);
      }
    }
  }
  return PO_OK;
}

/* Loss and number of correct predictions of the last forward pass. */
static void score(const po_mlp *m, const mlp_ws *w, const int *y, int B, double *loss,
                  int *correct) {
  const int C = m->sizes[m->n_layers];
  const float *P = w->H[m->n_layers - 1];
  double ls = 0;
  int ok = 0;
  for (int s = 0; s < B; s++) {
    int arg = 0;
    for (int i = 1; i < C; i++)
      if (P[(size_t)i * B + s] > P[(size_t)arg * B + s]) arg = i;
    ok += arg == y[s];
    double p = P[(size_t)y[s] * B + s];
    ls -= log(p > 1e-30 ? p : 1e-30);
  }
  *loss = ls;
  *correct = ok;
}

/* Gradients into dW/db (allocated by the caller, same shapes as W/b). */
static int backward(const po_mlp *m, po_backend *b, mlp_ws *w, const float *X, const int *y, int B,
                    float **dW, float **db) {
  const int L = m->n_layers, C = m->sizes[L];
  float *dZ = w->dZ, *dZ2 = w->dZ2;
  const float *P = w->H[L - 1];
  for (int i = 0; i < C; i++)
    for (int s = 0; s < B; s++)
      dZ[(size_t)i * B + s] = (P[(size_t)i * B + s] - (i == y[s] ? 1.0f : 0.0f)) / (float)B;
  for (int l = L - 1; l >= 0; l--) {
    int out = m->sizes[l + 1], in = m->sizes[l];
    int rc = l == 0 ? mm(b, PO_NO_TRANS, PO_NO_TRANS, out, in, B, dZ, B, X, in, dW[l], in)
                    : mm(b, PO_NO_TRANS, PO_TRANS, out, in, B, dZ, B, w->H[l - 1], B, dW[l], in);
    if (rc) return rc;
    for (int i = 0; i < out; i++) {
      double s = 0;
      for (int t = 0; t < B; t++) s += dZ[(size_t)i * B + t];
      db[l][i] = (float)s;
    }
    if (l > 0) {
      rc = mm(b, PO_TRANS, PO_NO_TRANS, in, B, out, weights(m, w, l), in, dZ, B, dZ2, B);
      if (rc) return rc;
      const float *Zp = w->Z[l - 1];
      for (size_t t = 0; t < (size_t)in * B; t++)
        if (!(Zp[t] > 0)) dZ2[t] = 0;
      float *tmp = dZ;
      dZ = dZ2;
      dZ2 = tmp;
    }
  }
  return PO_OK;
}

static void gather(const po_dataset *d, const int *idx, int B, float *X, int *y) {
  for (int s = 0; s < B; s++) {
    memcpy(X + (size_t)s * d->dim, d->x + (size_t)idx[s] * d->dim, sizeof(float) * d->dim);
    y[s] = d->y[idx[s]];
  }
}

static int check_data(const po_mlp *m, const po_dataset *d) {
  if (d->dim != m->sizes[0])
    return po_error(PO_ERR_ARG, "MLP input size %d does not match data dimension %d (%s)",
                    m->sizes[0], d->dim, d->source);
  const int outputs = m->sizes[m->n_layers];
  for (int i = 0; i < d->n; i++)
    if (d->y[i] >= outputs)
      return po_error(PO_ERR_ARG,
                      "%s: sample %d has label %d, but the MLP has %d outputs (labels 0..%d); "
                      "wrong data set or corrupt label file?",
                      d->source, i, (int)d->y[i], outputs, outputs - 1);
  return PO_OK;
}

/* Gradients and optimizer moments per layer (weights at 2 l, biases at 2 l + 1)
 * and the sample order of an epoch. */
typedef struct train_state {
  float *dW[PO_MLP_MAX_LAYERS], *db[PO_MLP_MAX_LAYERS];
  float *m1[2 * PO_MLP_MAX_LAYERS], *m2[2 * PO_MLP_MAX_LAYERS];
  int *perm;
} train_state;

static void train_state_free(train_state *s, int L) {
  for (int l = 0; l < L; l++) {
    free(s->dW[l]);
    free(s->db[l]);
  }
  for (int k = 0; k < 2 * L; k++) {
    free(s->m1[k]);
    free(s->m2[k]);
  }
  free(s->perm);
}

static int train_state_alloc(train_state *s, const po_mlp *m, int n_samples) {
  memset(s, 0, sizeof *s);
  s->perm = malloc(sizeof(int) * (size_t)n_samples);
  int ok = s->perm != NULL;
  for (int l = 0; l < m->n_layers; l++) {
    size_t nw = (size_t)m->sizes[l + 1] * m->sizes[l], nb = (size_t)m->sizes[l + 1];
    s->dW[l] = malloc(sizeof(float) * nw);
    s->db[l] = malloc(sizeof(float) * nb);
    s->m1[2 * l] = calloc(nw, sizeof(float));
    s->m1[2 * l + 1] = calloc(nb, sizeof(float));
    s->m2[2 * l] = calloc(nw, sizeof(float));
    s->m2[2 * l + 1] = calloc(nb, sizeof(float));
    ok &= s->dW[l] && s->db[l] && s->m1[2 * l] && s->m1[2 * l + 1] && s->m2[2 * l] &&
          s->m2[2 * l + 1];
  }
  return ok ? PO_OK : po_error(PO_ERR_NOMEM, "out of memory for training state");
}

/* The sample order of epoch e: a Fisher-Yates shuffle from stream (seed, e). */
static void epoch_order(int *perm, int n, uint64_t seed, int e) {
  for (int i = 0; i < n; i++) perm[i] = i;
  po_rng r;
  po_rng_init(&r, seed, (uint64_t)e, 0x5eed);
  for (int i = n - 1; i > 0; i--) {
    int j = (int)po_rng_below(&r, (uint64_t)i + 1);
    int t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
}

/* Adam (Kingma & Ba, ICLR 2015) in the form of their Sec. 2 that folds the bias
 * corrections into the step a (eps then acts on the uncorrected v2). */
static void adam_update(float *p, const float *g, float *v1, float *v2, size_t n, float wd,
                        float a) {
  for (size_t t = 0; t < n; t++) {
    float gt = g[t] + wd * p[t];
    v1[t] = 0.9f * v1[t] + 0.1f * gt;
    v2[t] = 0.999f * v2[t] + 0.001f * gt * gt;
    p[t] -= a * v1[t] / (sqrtf(v2[t]) + 1e-8f);
  }
}

static void sgd_momentum_update(float *p, const float *g, float *v1, size_t n, float wd, float mu,
                                float a) {
  for (size_t t = 0; t < n; t++) {
    v1[t] = mu * v1[t] - a * (g[t] + wd * p[t]);
    p[t] += v1[t];
  }
}

/* One optimizer step on every weight and bias; step counts from 1. */
static void optimizer_step(po_mlp *m, train_state *s, const po_train_opts *o, int adam, double lr,
                           long step) {
  double c1 = 1 - pow(0.9, (double)step), c2 = 1 - pow(0.999, (double)step);
  for (int l = 0; l < m->n_layers; l++)
    for (int k = 0; k < 2; k++) {
      float *p = k ? m->b[l] : m->W[l], *g = k ? s->db[l] : s->dW[l];
      float *v1 = s->m1[2 * l + k], *v2 = s->m2[2 * l + k];
      size_t n = k ? (size_t)m->sizes[l + 1] : (size_t)m->sizes[l + 1] * m->sizes[l];
      float wd = k ? 0.0f : (float)o->weight_decay;
      if (adam)
        adam_update(p, g, v1, v2, n, wd, (float)(lr * sqrt(c2) / c1));
      else
        sgd_momentum_update(p, g, v1, n, wd, (float)o->momentum, (float)lr);
    }
}

/* Fails with a hint when a weight became non-finite in epoch e (0-based). */
static int check_finite_weights(const po_mlp *m, int e) {
  for (int l = 0; l < m->n_layers; l++)
    for (size_t t = 0; t < (size_t)m->sizes[l + 1] * m->sizes[l]; t++)
      if (!isfinite(m->W[l][t]))
        return po_error(PO_ERR_NUMERIC,
                        "training diverged in epoch %d (non-finite weight); "
                        "lower the learning rate",
                        e + 1);
  return PO_OK;
}

/* One pass over the data in the order s->perm; adds the loss and the number
 * of correct predictions of the epoch. */
static int train_epoch(po_mlp *m, po_backend *b, po_backend *bb, const po_dataset *d,
                       const po_train_opts *o, int adam, double lr, int B, mlp_ws *w,
                       train_state *s, long *step, double *eloss, long *ecorrect) {
  int rc = PO_OK;
  for (int s0 = 0; !rc && s0 < d->n; s0 += B) {
    int nb = d->n - s0 < B ? d->n - s0 : B;
    gather(d, s->perm + s0, nb, w->X, w->y);
    prepare_weights(m, w);
    if ((rc = forward(m, b, w, w->X, nb))) break;
    double ls;
    int cor;
    score(m, w, w->y, nb, &ls, &cor);
    *eloss += ls;
    *ecorrect += cor;
    if ((rc = backward(m, bb, w, w->X, w->y, nb, s->dW, s->db))) break;
    (*step)++;
    optimizer_step(m, s, o, adam, lr, *step);
    if (po_stop_requested()) /* once per minibatch (po_request_stop) */
      rc = po_error(PO_ERR_INTERRUPTED, "interrupted: training was stopped by a stop request "
                                        "(Ctrl-C); the model is incomplete");
  }
  return rc;
}

int po_mlp_train(po_mlp *m, po_backend *b, const po_dataset *d, const po_train_opts *o) {
  int rc = check_data(m, d);
  if (rc) return rc;
  if (o->epochs < 0 || o->batch < 1 || !(o->lr > 0))
    return po_error(PO_ERR_ARG, "training: epochs %d >= 0, batch %d >= 1, lr %g > 0 required",
                    o->epochs, o->batch, o->lr);
  int adam = !o->optimizer || !strcmp(o->optimizer, "adam");
  if (!adam && strcmp(o->optimizer, "sgd"))
    return po_error(PO_ERR_ARG, "optimizer '%s' (accepted: adam, sgd)", o->optimizer);
  const int B = o->batch < d->n ? o->batch : d->n;
  mlp_ws w;
  if ((rc = ws_alloc(&w, m, B))) return rc;
  train_state s;
  rc = train_state_alloc(&s, m, d->n);
  po_backend *bb = o->backward_on_backend ? b : NULL;
  double lr = o->lr;
  long step = 0;
  for (int e = 0; !rc && e < o->epochs; e++) {
    epoch_order(s.perm, d->n, o->seed, e);
    double eloss = 0;
    long ecorrect = 0;
    rc = train_epoch(m, b, bb, d, o, adam, lr, B, &w, &s, &step, &eloss, &ecorrect);
    if (!rc) rc = check_finite_weights(m, e);
    if (!rc && o->on_epoch) o->on_epoch(o->ctx, e + 1, eloss / d->n, (double)ecorrect / d->n);
    lr *= o->lr_decay;
  }
  train_state_free(&s, m->n_layers);
  ws_free(&w);
  return rc;
}

int po_mlp_evaluate(const po_mlp *m, po_backend *b, const po_dataset *d, int batch,
                    double *accuracy, double *loss) {
  int rc = check_data(m, d);
  if (rc) return rc;
  int B = batch > 0 ? batch : 1000;
  if (B > d->n) B = d->n;
  mlp_ws w;
  if ((rc = ws_alloc(&w, m, B))) return rc;
  prepare_weights(m, &w);
  double ls = 0;
  long correct = 0;
  for (int s0 = 0; s0 < d->n; s0 += B) {
    int nb = d->n - s0 < B ? d->n - s0 : B;
    for (int s = 0; s < nb; s++) w.y[s] = d->y[s0 + s];
    if ((rc = forward(m, b, &w, d->x + (size_t)s0 * d->dim, nb))) break;
    double l1;
    int c1;
    score(m, &w, w.y, nb, &l1, &c1);
    ls += l1;
    correct += c1;
    if (po_stop_requested()) { /* once per batch (po_request_stop) */
      rc = po_error(PO_ERR_INTERRUPTED, "interrupted: evaluation was stopped by a stop request "
                                        "(Ctrl-C); no accuracy was computed");
      break;
    }
  }
  ws_free(&w);
  if (rc) return rc;
  if (accuracy) *accuracy = (double)correct / d->n;
  if (loss) *loss = ls / d->n;
  return PO_OK;
}

static double exact_loss(const po_mlp *m, mlp_ws *w, const po_dataset *d, int n) {
  prepare_weights(m, w);
  forward(m, NULL, w, d->x, n);
  double ls;
  int c;
  score(m, w, w->y, n, &ls, &c);
  return ls / n;
}

int po_mlp_gradient_check(po_mlp *m, const po_dataset *d, int n, int n_probe, uint64_t seed,
                          double *max_rel_err) {
  int rc = check_data(m, d);
  if (rc) return rc;
  if (n < 1 || n > d->n) return po_error(PO_ERR_ARG, "gradient check: n = %d samples", n);
  if (m->quant_w_bits || m->quant_act_bits)
    return po_error(PO_ERR_ARG, "gradient check needs quantisation off");
  const int L = m->n_layers;
  mlp_ws w;
  if ((rc = ws_alloc(&w, m, n))) return rc;
  for (int s = 0; s < n; s++) w.y[s] = d->y[s];
  float *dW[PO_MLP_MAX_LAYERS] = {0}, *db[PO_MLP_MAX_LAYERS] = {0};
  for (int l = 0; l < L; l++) {
    dW[l] = malloc(sizeof(float) * (size_t)m->sizes[l + 1] * m->sizes[l]);
    db[l] = malloc(sizeof(float) * (size_t)m->sizes[l + 1]);
  }
  forward(m, NULL, &w, d->x, n);
  backward(m, NULL, &w, d->x, w.y, n, dW, db);
  po_rng r;
  po_rng_init(&r, seed, 0, 0);
  double worst = 0;
  for (int p = 0; p < n_probe; p++) {
    int l = (int)po_rng_below(&r, (uint64_t)L), isb = (int)po_rng_below(&r, 4) == 0;
    size_t cnt = isb ? (size_t)m->sizes[l + 1] : (size_t)m->sizes[l + 1] * m->sizes[l];
    size_t t = po_rng_below(&r, cnt);
    float *par = isb ? &m->b[l][t] : &m->W[l][t];
    float g = isb ? db[l][t] : dW[l][t];
    float old = *par, h = 1e-2f * fmaxf(1.0f, fabsf(old));
    *par = old + h;
    double lp = exact_loss(m, &w, d, n);
    *par = old - h;
    double lm = exact_loss(m, &w, d, n);
    *par = old;
    double fd = (lp - lm) / (2.0 * h);
    double rel = fabs(g - fd) / fmax(fabs(g) + fabs(fd), 1e-3);
    if (rel > worst) worst = rel;
  }
  for (int l = 0; l < L; l++) {
    free(dW[l]);
    free(db[l]);
  }
  ws_free(&w);
  *max_rel_err = worst;
  return PO_OK;
}
