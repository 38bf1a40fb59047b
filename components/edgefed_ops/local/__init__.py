"""The local federation: processes, control planes, object stores, the zone client, files and the toolchain."""
