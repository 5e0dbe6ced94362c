"""Risk-limiting audits of the seat outcome: assertions, risk measurement, sampling, batches and planning."""
