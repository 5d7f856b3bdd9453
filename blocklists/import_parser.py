"""The parser process of a large CSV import: ``python -m blocklists.import_parser CHUNK_ROWS``.

Reads a pickled ``imports.ParseSpec`` on stdin and writes pickled
``("chunk", Chunk)`` items to stdout, then ``("end", None)``, or
``("error", exception)`` when the file turns out broken half way (the writer
raises it as if it had parsed the file itself). Touches no database and loads
no Django app (``blocklists.import_rows``): it starts in 0.15 s, not 1.1 s.
"""

from __future__ import annotations

import pickle
import sys


def main() -> int:
    from django.conf import settings

    # Only for Django's validators, should one of their lazy messages be read: the
    # rest of the project's settings mean nothing here.
    settings.configure(USE_I18N=False)
    from blocklists.import_rows import iter_spec_chunks

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
