"""Synthetic elections shaped like real ones, written as election packages, with fraud injected and labelled.

`generate(shape="iraq-2021", seed=7, out=...)` writes a package (docs/format.md) that looks like Iraq's
October 2021 Council of Representatives election: the real seat structure (18 governorates, 83 SNTV districts
of 3-5 seats summing to 320 general seats, one women's quota seat per district, 9 minority seats), about 3,250
candidates and 55,000 polling stations in 8,300 centres, 22 million registered voters and 41 % turnout.
Candidate strength, party geography, turnout and invalid ballots vary by region and are correlated within
polling centres. A `truth/` folder holds the honest counts and a label per sheet, so that forensic screens and
audits can be scored.

Simplifications (documented, deliberate):
- In reality a voter casts one SNTV vote on one ballot; a voter in a governorate with minority seats may
  choose a minority candidate instead of a general one. Here each minority contest is modelled as its own
  result sheet at every station of the governorates where that contest is held (the nationwide Christian
  contest at every station of Baghdad, Nineveh, Kirkuk, Erbil and Duhok), and the station's voters are split
  between its sheets, so the station's sheets together never exceed its register.
- Stations without a register (security-forces and displaced-persons voting) have their own centres.
- Per-district seats, governorate turnout, party vote shares and the other GAP parameters in iraq_2021.py,
  parties.py and polling.py are illustrative, not sourced.
- Names of candidates and parties are invented from short lists of common names.

Same seed and same tallycheck version give byte-identical files: every random step draws from its own
generator seeded with SHA-256 of the seed and the step's name (seeding.py).
"""

from .election import SHAPES, GeneratedElection, generate
from .fraud import FraudSpec, Label, parse_fraud_spec
from .names import NameScript

__all__ = ["SHAPES", "FraudSpec", "GeneratedElection", "Label", "NameScript", "generate", "parse_fraud_spec"]
