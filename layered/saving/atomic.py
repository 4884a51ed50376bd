"""Atomic file writes: write beside the target, flush to disk, then rename into place.

A crash (or an exception) while writing leaves the previous file untouched and at most a
hidden temporary file beside it, never a half-written target: `os.replace` swaps the
complete new file in with one rename, which POSIX and Windows both make atomic on one
file system. That is why the temporary file lives in the target's own folder.
"""
import contextlib
import os
import secrets


@contextlib.contextmanager
def atomic_write(path, overwrite=True):
    """Open a temporary binary file beside `path`; on a clean exit it replaces `path`.

    Args:
        path: the file to write.
        overwrite: when False and `path` exists, raise `FileExistsError` before writing.
    Yields:
        the temporary file, open for binary writing (seekable, as zip archives need).

    Example:
        with atomic_write("model.weights.npz") as f:
            np.savez(f, **arrays)
    """
    path = os.fspath(path)
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"'{path}' already exists; pass overwrite=True to replace it")
    folder = os.path.dirname(os.path.abspath(path))
    temporary, descriptor = _create_temporary(folder, os.path.basename(path))
    try:
        with os.fdopen(descriptor, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())  # the data is on disk before the rename makes it visible
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise
    _sync_folder(folder)


def leftover_temporaries(path):
    """Temporary files of writes to `path` that never finished (the writer was killed)."""
    folder, name = os.path.split(os.path.abspath(os.fspath(path)))
    prefix = f".{name}."
    try:
        entries = os.listdir(folder)
    except OSError:
        return []
    return [os.path.join(folder, entry) for entry in entries
            if entry.startswith(prefix) and entry.endswith(".tmp") and len(entry) == len(prefix) + 12]


def _create_temporary(folder, name):
    """A new hidden file in `folder`: (path, open descriptor).

    `os.open` with mode 0o666 lets the umask decide the permissions, so the final file gets
    the same ones a plain `open(path, "wb")` would give it (mkstemp would make it 0o600).
    """
    while True:
        temporary = os.path.join(folder, f".{name}.{secrets.token_hex(4)}.tmp")
        try:
            return temporary, os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                                      0o666)
        except FileExistsError:
            continue  # a name clash with another writer's temporary: draw another name


def _sync_folder(folder):
    """Flush the folder entry of the rename, where the platform allows (POSIX)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # Windows cannot open folders; its rename is durable enough
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def check_writable(folder, who):
    """Create `folder` if needed and prove a file can be written there, or raise `OSError`
    naming `who` (the caller, e.g. "ModelCheckpoint") and the folder.

    A real file is created and removed: permission bits alone do not tell (root ignores
    them, and read-only mounts keep them).
    """
    folder = folder or "."
    try:
        os.makedirs(folder, exist_ok=True)
        temporary, descriptor = _create_temporary(folder, "write-check")
        os.close(descriptor)
        os.remove(temporary)
    except OSError as error:
        raise OSError(f"{who} cannot write to the folder '{folder}': {error.strerror or error}. "
                      "Choose a folder you can write to.") from error
