/* Energy ledger: operation counts and joules by category. */
#include <stdio.h>
#include <string.h>
#include "physopt/ledger.h"

void po_ledger_reset(po_ledger *l) {
  memset(l, 0, sizeof *l);
}

static po_ledger_entry *find_or_add(po_ledger *l, const char *category, const char *unit) {
  for (int i = 0; i < l->n; i++)
    if (!strcmp(l->e[i].category, category)) return &l->e[i];
  /* A full ledger books into its last slot rather than dropping joules. */
  po_ledger_entry *e = &l->e[l->n < PO_LEDGER_MAX ? l->n++ : PO_LEDGER_MAX - 1];
  memset(e, 0, sizeof *e);
  strncpy(e->category, category, sizeof e->category - 1);
  strncpy(e->unit, unit ? unit : "", sizeof e->unit - 1);
  return e;
}

void po_ledger_add(po_ledger *l, const char *category, const char *unit, double count,
                   double joules_per_unit) {
  po_ledger_entry *e = find_or_add(l, category, unit);
  e->count += count;
  e->joules += count * joules_per_unit;
}

double po_ledger_total_joules(const po_ledger *l) {
  double sum = 0.0;
  for (int i = 0; i < l->n; i++) sum += l->e[i].joules;
  return sum;
}

const po_ledger_entry *po_ledger_find(const po_ledger *l, const char *category) {
  for (int i = 0; i < l->n; i++)
    if (!strcmp(l->e[i].category, category)) return &l->e[i];
  return NULL;
}

void po_ledger_merge(po_ledger *dst, const po_ledger *src) {
  if (dst->n_model == 0 && src->n_model > 0) {
    dst->n_model = src->n_model;
    memcpy(dst->model, src->model, sizeof dst->model);
  }
  dst->wall_s += src->wall_s;
  dst->device_s += src->device_s;
  dst->run_s += src->run_s;
  for (int i = 0; i < src->n; i++) {
    po_ledger_entry *e = find_or_add(dst, src->e[i].category, src->e[i].unit);
    e->count += src->e[i].count;
    e->joules += src->e[i].joules;
  }
}

const po_model_item *po_ledger_model_find(const po_ledger *l, const char *key) {
  for (int i = 0; i < l->n_model; i++)
    if (!strcmp(l->model[i].key, key)) return &l->model[i];
  return NULL;
}

int po_ledger_model_set(po_ledger *l, const char *key, po_model_kind kind, const char *text,
                        double value) {
  po_model_item *it = (po_model_item *)po_ledger_model_find(l, key);
  if (!it) {
    if (l->n_model >= PO_MODEL_MAX) return -1;
    it = &l->model[l->n_model++];
  }
  memset(it, 0, sizeof *it);
  snprintf(it->key, sizeof it->key, "%s", key);
  it->kind = kind;
  if (kind == PO_MODEL_TEXT)
    snprintf(it->text, sizeof it->text, "%s", text ? text : "");
  else
    it->value = value;
  return 0;
}
