"""Where each query goes: the primary, or a read replica (SPEC §17).

`routing` holds the router and the replica health checks, `middleware` decides per request which
database its reads use. With no DATABASE_REPLICA_URL neither is installed: one database, and
nothing of this runs."""
