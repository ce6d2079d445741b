"""The judge's worker: the code that runs inside the sandbox and forks the judged programs.

Standard library only (plus the modules ``prelude.PREIMPORTED_MODULES`` imports for judged
programs), and importing this package imports nothing else: the host uses ``protocol`` alone.

* ``protocol`` — framing of the messages between host and worker (the host's one import);
* ``prelude`` — the import prelude judged programs run with, and the declared pre-imports;
* ``zygote`` — the worker's request loop and slot scheduling;
* ``child`` — the warm child's test loop, and ``apply_limits``, everything that confines it;
* ``cleanup`` — killing and reaping leftover processes, wiping files and IPC objects;
* ``libc`` — the prctl and IPC calls the standard library lacks;
* ``__main__`` — the entry point the sandbox runs by path (``python -E -s .../__main__.py``).
"""
