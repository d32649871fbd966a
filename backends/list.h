/* Every backend, named once (the libCEED pattern).  Expanded twice by
 * backends/registry.c: once for the extern declarations of the ops tables
 * (po_backend_ops_<name>), once for the registry array.  Adding a backend is
 * one line here plus one folder backends/<name>/. */
PO_BACKEND(cpu)
PO_BACKEND(photonic)
PO_BACKEND(cavity)
PO_BACKEND(cim)
