/* Every subcommand of `physopt`, named once; expanded by cli/main.c into the
 * prototypes `int po_cmd_<name>(int argc, char **argv)` and the dispatch
 * table.  Adding a command is one line here plus cli/cmd_<name>.c. */
PO_COMMAND(solve, "anneal an Ising/MaxCut problem on a backend")
PO_COMMAND(backends, "list backends, their capabilities and parameters")
PO_COMMAND(train, "train the MLP on Fashion-MNIST on a backend (cpu, or photonic: noise-aware)")
PO_COMMAND(eval, "test accuracy of a trained model; accuracy vs photons/MAC sweep with plot")
PO_COMMAND(recall, "associative-memory recall and capacity sweeps (cpu, cavity)")
PO_COMMAND(sweep, "run a parameter sweep (MPI ranks or Slurm array shards), resumable")
PO_COMMAND(tune, "tune a solver's parameters: Hyperband + TPE over sweep runs, resumable, MPI")
PO_COMMAND(merge, "merge a sweep's part files into one self-contained HDF5 file")
PO_COMMAND(report, "tables, JSON and plots of a sweep: success, TTS99, energy to solution")
