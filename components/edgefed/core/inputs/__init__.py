"""What users write, validated: catalog, app specs, stack config and families, geography, labels, errors."""
