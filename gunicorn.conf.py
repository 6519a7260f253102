# Read by gunicorn from the directory it starts in (make run, the bench, the live-server tests).
# The access log line of each request ends with its X-Request-ID, as the application's own log
# lines show it (SPEC §13); the rest is gunicorn's default format.
access_log_format = (
    '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %({x-request-id}o)s'
)
