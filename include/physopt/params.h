/* Run parameters: INI files (core/params.c's reader) plus command-line overrides.
 *
 * A po_params holds "section.key" -> text.  Every module that reads
 * parameters publishes a table of po_param_spec (key, type, default, range,
 * unit, help with the source of the default); typed getters validate against
 * it, so an out-of-range value names the parameter and the accepted range,
 * and po_params_check() rejects unknown sections and keys, listing the valid
 * ones.  The same tables feed `physopt backends` and the docs. */
#ifndef PHYSOPT_PARAMS_H
#define PHYSOPT_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif
/* Everything declared in include/physopt/ is exported from libphysopt.so,
 * nothing else is (-fvisibility=hidden; docs/design-notes.md). */
#pragma GCC visibility push(default)

typedef enum {
  PO_PARAM_INT = 0,
  PO_PARAM_DOUBLE = 1,
  PO_PARAM_STRING = 2, /* free text, or one of `choices` ("a|b|c") */
  PO_PARAM_BOOL = 3    /* true/false, yes/no, on/off, 1/0 */
} po_param_type;

typedef struct po_param_spec {
  const char *key;
  po_param_type type;
  const char *def;     /* default, as text; NULL = no default (required or optional) */
  double min, max;     /* inclusive range for INT/DOUBLE */
  const char *choices; /* STRING: "a|b|c", or NULL for free text */
  const char *unit;    /* "s", "J", "photons", "1" ... */
  const char *help;    /* one line; cites where the default comes from */
} po_param_spec;

typedef struct po_param_section {
  const char *name; /* "cpu", "cim", "energy.cpu", "problem", ... */
  const po_param_spec *specs;
  size_t n_specs;
} po_param_section;

typedef struct po_params po_params;

int po_params_create(po_params **out);
void po_params_destroy(po_params *p);
/* Reads an INI file; later files and po_params_set override earlier values.
 * Syntax errors name the file and line. */
int po_params_load_ini(po_params *p, const char *path);
/* Finds a configuration file (physopt --config NAME), in this order:
 *   1. NAME itself, if it exists or is absolute (relative names are
 *      relative to the current directory);
 *   2. each directory D of $PHYSOPT_CONFIG_PATH (colon-separated): D/NAME,
 *      then D/NAME.ini;
 *   3. the installed configs, PREFIX/share/physopt/configs (NAME, NAME.ini).
 * In 2 and 3 a leading "configs/" of NAME is dropped, so the README's
 * `--config configs/cim-gset.ini` works outside the source tree, as does
 * `--config cim-gset`.  In 2 and 3, D/NAME may also be a directory (so a
 * directory of configurations, e.g. "configs/devices", is found the same
 * way; loading it as a file then fails with "Is a directory").  *out is
 * malloc'd; the error lists where it looked. */
int po_config_find(const char *name, char **out);
/* The directory of step 3, fixed when the library is built. */
const char *po_config_install_dir(void);
/* po_config_find, then po_params_load_ini on the file found. */
int po_params_load_config(po_params *p, const char *name);
/* Sets "section.key" to value (key may not contain '='). */
int po_params_set(po_params *p, const char *section_key, const char *value);
/* Parses "section.key=value" (the --set syntax). */
int po_params_assign(po_params *p, const char *assignment);
/* Raw text or NULL when unset. */
const char *po_params_get(const po_params *p, const char *section, const char *key);
int po_params_has_section(const po_params *p, const char *section);

/* Typed getters: look `key` up in `sec`'s spec table; use the default when
 * unset; validate type and range.  Errors: "cim.pump_max = 5 is outside the
 * accepted range [0, 3]", "unknown parameter cim.foo (valid: ...)". */
int po_params_int(const po_params *p, const po_param_section *sec, const char *key, long *out);
int po_params_double(const po_params *p, const po_param_section *sec, const char *key, double *out);
int po_params_string(const po_params *p, const po_param_section *sec, const char *key,
                     const char **out);
int po_params_bool(const po_params *p, const po_param_section *sec, const char *key, int *out);
/* An integer key spanning all of uint64_t (seeds, run ids): decimal or 0x
 * hex; other forms, and the default when unset, go through po_params_int. */
int po_params_u64(const po_params *p, const po_param_section *sec, const char *key, uint64_t *out);

/* "[min, max]" of an INT/DOUBLE spec with each limit written exactly (the
 * shortest %.Ng that reads back as the same double): the one form used by
 * range errors, --help and `physopt backends`.  Returns buf. */
const char *po_param_range_text(const po_param_spec *s, char *buf, size_t size);

/* Every key present must belong to one of the given sections; unknown
 * sections and keys are errors that list what is valid. */
int po_params_check(const po_params *p, const po_param_section *const *secs, size_t n_secs);

/* po_params_check, then every value present is read with its spec's typed
 * getter, so a bad type, range or choice fails now, naming the parameter
 * and the accepted range (physopt sweep checks every run this way before
 * starting any). */
int po_params_check_values(const po_params *p, const po_param_section *const *secs, size_t n_secs);

/* The whole configuration as INI text (for HDF5 provenance); caller frees. */
char *po_params_to_ini(const po_params *p);

/* Iteration over entries in insertion order. */
size_t po_params_count(const po_params *p);
void po_params_entry(const po_params *p, size_t i, const char **section, const char **key,
                     const char **value);

/* Deep copy. */
int po_params_clone(const po_params *p, po_params **out);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
