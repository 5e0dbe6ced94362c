"""Synthetic parties with the regional pattern of Iraq's 2021 vote.

The names are invented; each major party stands in for a real bloc's role so that seat outcomes look familiar:
a Shia movement dominant in the south and Baghdad (the Sadrist role), Shia coalitions (State of Law, Fatah,
State Forces roles), a protest movement strong in Dhi Qar (Imtidad), Sunni alliances in the west and north
(Taqaddum, Azm), Kurdish parties in the north (KDP, PUK, New Generation), a Turkmen list in Kirkuk, and for
the minority seats a dominant Christian list (the Babylon Movement role). Real 2021 figures: 21 coalitions and
109 parties (IHEC, 31 Jul 2021); 43 independents won seats (INA, 30 Nov 2021). Vote shares below are
illustrative (GAP: no governorate-level vote table for 2021 was found); they are the expected share of a
governorate's valid votes.
"""

from __future__ import annotations

from dataclasses import dataclass

from .names import Culture

REGIONS = ("baghdad", "south", "west", "north", "east", "kirkuk", "kurdistan")


@dataclass(frozen=True, slots=True)
class Party:
    name: str
    name_arabic: str
    culture: Culture | None  # names of its candidates; None: that of the governorate
    # region or ISO code -> expected vote share; an ISO code overrides its region
    shares: tuple[tuple[str, float], ...]
    groups: tuple[str, ...] = ()  # minority communities it fields candidates for (minority lists only)

    def share_in(self, iso: str, region: str) -> float:
        by_key = dict(self.shares)
        return by_key.get(iso, by_key.get(region, 0.0))


MAJOR_PARTIES: tuple[Party, ...] = (
    Party("Euphrates Current", "تيار الفرات", Culture.ARAB,
          (("south", 0.22), ("baghdad", 0.20), ("east", 0.05), ("IQ-BA", 0.22), ("IQ-MA", 0.30))),
    Party("Justice and State Coalition", "ائتلاف العدل والدولة", Culture.ARAB,
          (("south", 0.08), ("baghdad", 0.10), ("east", 0.04), ("IQ-KA", 0.10), ("IQ-BA", 0.10))),
    Party("Shield Alliance", "تحالف الدرع", Culture.ARAB,
          (("south", 0.06), ("baghdad", 0.05), ("east", 0.09), ("north", 0.03), ("kirkuk", 0.03),
           ("IQ-BA", 0.07))),
    Party("National Wisdom Forces", "قوى الحكمة الوطنية", Culture.ARAB,
          (("south", 0.05), ("baghdad", 0.04), ("IQ-NA", 0.08))),
    Party("Tishreen Dawn Movement", "حركة فجر تشرين", Culture.ARAB,
          (("south", 0.03), ("baghdad", 0.02), ("IQ-DQ", 0.14), ("IQ-BB", 0.05), ("IQ-NA", 0.05))),
    Party("Southern Horizons", "آفاق الجنوب", Culture.ARAB, (("south", 0.03), ("baghdad", 0.03))),
    Party("Shatt Gathering", "تجمع الشط", Culture.ARAB, (("IQ-BA", 0.09),)),
    Party("Renaissance Coalition", "تحالف النهضة", Culture.ARAB,
          (("west", 0.42), ("baghdad", 0.12), ("north", 0.13), ("east", 0.12), ("kirkuk", 0.05),
           ("IQ-BB", 0.03))),
    Party("National Unity Front", "جبهة الوحدة الوطنية", Culture.ARAB,
          (("north", 0.11), ("IQ-SD", 0.15), ("west", 0.10), ("east", 0.08), ("kirkuk", 0.07),
           ("baghdad", 0.03))),
    Party("Builders Gathering", "تجمع البناة", Culture.ARAB,
          (("west", 0.05), ("north", 0.05), ("baghdad", 0.02))),
    Party("Mountain Democratic Party", "حزب الجبل الديمقراطي", Culture.KURD,
          (("IQ-DA", 0.62), ("IQ-AR", 0.48), ("IQ-SU", 0.04), ("IQ-NI", 0.12), ("kirkuk", 0.06))),
    Party("Kurdistan Citadel Union", "اتحاد قلعة كردستان", Culture.KURD,
          (("IQ-SU", 0.36), ("IQ-AR", 0.12), ("IQ-DA", 0.04), ("kirkuk", 0.26), ("east", 0.05))),
    Party("New Dawn Movement", "حركة الفجر الجديد", Culture.KURD,
          (("IQ-SU", 0.20), ("IQ-AR", 0.10), ("IQ-DA", 0.05), ("kirkuk", 0.02))),
    Party("Zagros Islamic Union", "الاتحاد الإسلامي لزاغروس", Culture.KURD,
          (("IQ-SU", 0.06), ("IQ-AR", 0.06), ("IQ-DA", 0.08))),
    Party("Green Valley List", "قائمة الوادي الأخضر", Culture.KURD, (("IQ-SU", 0.06), ("IQ-AR", 0.02))),
    Party("Kirkuk Turkmen Assembly", "تجمع تركمان كركوك", Culture.ARAB,
          (("kirkuk", 0.12), ("IQ-NI", 0.02), ("IQ-SD", 0.02), ("east", 0.02))),
    Party("Civil Hope Movement", "حركة الأمل المدنية", Culture.ARAB, (("baghdad", 0.03), ("south", 0.02))),
)

# Lists that field candidates only for minority seats; the first Christian list plays the dominant role.
MINORITY_PARTIES: tuple[Party, ...] = (
    Party("Ashur Gate List", "قائمة بوابة آشور", Culture.CHRISTIAN, (), ("Christian",)),
    Party("Ishtar Assembly", "تجمع عشتار", Culture.CHRISTIAN, (), ("Christian",)),
    Party("Mesopotamia Christian Union", "اتحاد ما بين النهرين المسيحي", Culture.CHRISTIAN, (),
          ("Christian",)),
    Party("Lalish Yazidi Movement", "حركة لالش الإيزيدية", Culture.YAZIDI, (), ("Yazidi",)),
    Party("Shabak Assembly", "تجمع الشبك", Culture.ARAB, (), ("Shabak",)),
    Party("Mandaean Light List", "قائمة النور المندائية", Culture.ARAB, (), ("Sabean-Mandaean",)),
    Party("Feyli Brotherhood Gathering", "تجمع الإخاء الفيلي", Culture.KURD, (), ("Feyli Kurd",)),
)

MINORITY_CULTURE = {"Christian": Culture.CHRISTIAN, "Yazidi": Culture.YAZIDI, "Shabak": Culture.ARAB,
                    "Sabean-Mandaean": Culture.ARAB, "Feyli Kurd": Culture.KURD}

# Names of candidates of small parties and independents: share of Kurdish names by region (Nineveh, Kirkuk and
# Diyala have Kurdish communities).
KURDISH_NAME_SHARE = {"kurdistan": 0.95, "kirkuk": 0.4, "north": 0.15, "east": 0.15}

SMALL_PARTIES = 85  # with the 17 major ones about 100 parties, as in 2021
INDEPENDENT_SHARE = 0.25  # GAP: share of general candidates without a party
