"""What the benchmarks share: progress lines, percentiles, the machine and its processes, the
servers on free ports, result files, and synthetic tracker-store rows. Imports no benchmark."""
