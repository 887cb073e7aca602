"""Load tests and benchmarks (`make bench`): bench/run.py orchestrates, bench/locustfile.py
drives the app, bench/wsgi.py counts SQL queries per request. Not part of `make test`."""
