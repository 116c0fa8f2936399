"""Soak runs: the bot against the simulator for an hour (or less), its memory and descriptors sampled.

``python3 -m tools.soak MARKET`` (see ``__main__``). ``judge`` holds the samples and the pure judgement
(trend after warm-up, slope, rotations counted, the verdict), ``probe`` the /proc reads, ``run`` the bot's
process and the sampling loop, ``plot`` the PNG.
"""
