"""What edgefed reports: plans, what-if, diffs, the sovereignty report and its evidence, SARIF."""
