"""The parser process of a large CSV import: ``python -m blocklists.import_parser CHUNK_ROWS``.

Reads a pickled ``imports.ParseSpec`` on stdin and writes pickled
``("chunk", Chunk)`` items to stdout, then ``("end", None)``, or
``("error", exception)`` when the file turns out broken half way (the writer
raises it as if it had parsed the file itself). Touches no database: Django is
set up only so that messages are the ones the rest of Handoff gives.
"""

from __future__ import annotations

import os
import pickle
import sys


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from blocklists.imports import iter_spec_chunks

    chunk_rows = int(sys.argv[1])
    spec = pickle.load(sys.stdin.buffer)
    out = sys.stdout.buffer
    try:
        for chunk in iter_spec_chunks(spec, chunk_rows=chunk_rows):
            pickle.dump(("chunk", chunk), out, protocol=pickle.HIGHEST_PROTOCOL)
    except BrokenPipeError:  # the writer stopped reading: cancelled or failed
        return 0
    except Exception as exc:
        try:
            payload = pickle.dumps(("error", exc))
        except Exception:  # an exception that does not pickle: its words still go
            payload = pickle.dumps(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))
        out.write(payload)
    else:
        pickle.dump(("end", None), out)
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
