"""The residency rules the policy pack and zone admission share: one module per rule, one message each."""
