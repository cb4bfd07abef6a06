"""Moving assessments in and out: answers files (CSV/XLSX), later whole rounds and FHIR."""
