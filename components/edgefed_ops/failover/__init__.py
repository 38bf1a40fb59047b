"""Failover on the local federation: the whole-country drill and its primary watcher."""
