"""Give back to the system the memory Rasa frees while loading the model.

Loading the model (spaCy twice, DIET built by one training step on an example, then its
weights) allocates and frees a few hundred MB of small blocks. glibc's allocator keeps freed
memory in the process unless asked to return it, so a freshly started Rasa server holds about
250 MB it no longer uses (measured: 1,867 MB resident after loading, 1,614 MB after
``malloc_trim``). The REST channel calls :func:`release_freed_memory` once the server has
started, that is once the model is loaded.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

logger = logging.getLogger(__name__)


def release_freed_memory() -> bool:
    """``malloc_trim(0)``: return freed heap pages to the system. False where there is no glibc."""
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        trim = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS)
        return False
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    released = bool(trim(0))
    logger.debug("malloc_trim: memory %s", "released" if released else "already compact")
    return True
