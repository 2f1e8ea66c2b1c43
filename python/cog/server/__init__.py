"""The worker side of a Cog model: `python -m cog.server.worker` (see worker.py).

Kept free of imports on purpose: importing `cog.server.worker` from here would make
`python -m cog.server.worker` load that module twice.
"""
