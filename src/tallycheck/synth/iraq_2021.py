"""Facts about Iraq's October 2021 Council of Representatives election that shape the synthetic elections.

Only structural facts and national totals are embedded here, each with its public source; everything else the
generator draws at random. Values marked GAP were not found in any public source and are explicit,
illustrative parameters (see /work/shared/notes/iraq-electoral-law.md in the project's research notes).

Sources
- Seats per governorate: IHEC seat table (same allocation in 2021 and 2025), reported by Negar news magazine,
  item 941260, 14 Nov 2025; general seats of Karbala, Duhok, Muthanna and Maysan derived so that they total
  320.
- Districts per governorate (= women's quota seats), Law No. 9 of 2020:
  shafaq.com/en/Iraq-News/The-Iraqi-Parliament-to-vote-on-the-electoral-districts-law-today.
- Minority seats:
  thenationalcontext.com/minority-quota-voting-mechanism-sparks-controversy-ahead-of-iraqs-2025-elections;
  kurdistan24.net/en/story/25973 (Christian seats contested nationwide, one per governorate; vote totals).
- Candidates (3,249; 951 women; 67 minority candidates by community): UNAMI Electoral Report No. 10,
  reliefweb.int/report/iraq/iraq-s-electoral-preparations-and-processes-report-no-10-11-august-2021.
- Polling (55,041 stations in 8,273 centres): UNAMI Electoral Report No. 9,
  reliefweb.int/report/iraq/iraq-s-electoral-preparations-and-processes-report-no-9-2-july-2021.
- Registered voters (about 22 million at certification), IHEC chair via Shafaq: shafaq.com/en/Iraq-News/IHEC-
  announces-the-final-results-hand-recount-and-re-tallying-changed-the-winners-of-five-seats.
- Turnout 41 % (preliminary, IHEC):
  english.almayadeen.net/news/politics/ihec:-turnout-in-iraqs-election-reached.
- Special vote (security forces), 8 Oct: 1,196,124 eligible, 821,800 voted (about 69 %):
  en.shafaqna.com/233877/.
- Governorate codes: ISO 3166-2:IQ.
"""

from __future__ import annotations

from dataclasses import dataclass

ELECTION_NAME = "Iraq Council of Representatives 2021"
ELECTION_DATE = "2021-10-10"
COUNTRY = "IQ"
LAW = "iraq-2021"


@dataclass(frozen=True, slots=True)
class Governorate:
    code: int  # two-digit prefix of centre and station ids (synthetic numbering)
    iso: str  # ISO 3166-2:IQ
    name: str
    name_arabic: str
    general_seats: int
    districts: int  # = the governorate's women's quota seats (Law 9/2020)
    minority_seats: tuple[tuple[str, int], ...]
    region: str  # the political geography the party model uses
    turnout: float  # GAP: illustrative mean turnout of regular stations, calibrated to 41 % nationally

    @property
    def short(self) -> str:
        return self.iso.removeprefix("IQ-")


# Seat table: Negar 941260 (IHEC); districts: Shafaq. Turnout: GAP (illustrative pattern: higher in the
# Kurdistan Region and the Sunni north-west, lower in Baghdad and Basra, as widely reported for 2021).
GOVERNORATES: tuple[Governorate, ...] = (
    Governorate(1, "IQ-BG", "Baghdad", "بغداد", 69, 17, (("Christian", 1), ("Sabean-Mandaean", 1)), "baghdad",
                0.345),
    Governorate(2, "IQ-NI", "Nineveh", "نينوى", 31, 8, (("Christian", 1), ("Yazidi", 1), ("Shabak", 1)),
                "north", 0.425),
    Governorate(3, "IQ-BA", "Basra", "البصرة", 25, 6, (), "south", 0.37),
    Governorate(4, "IQ-DQ", "Dhi Qar", "ذي قار", 19, 5, (), "south", 0.42),
    Governorate(5, "IQ-SU", "Sulaymaniyah", "السليمانية", 18, 5, (), "kurdistan", 0.40),
    Governorate(6, "IQ-BB", "Babil", "بابل", 17, 4, (), "south", 0.42),
    Governorate(7, "IQ-AN", "Anbar", "الأنبار", 15, 4, (), "west", 0.45),
    Governorate(8, "IQ-AR", "Erbil", "أربيل", 15, 4, (("Christian", 1),), "kurdistan", 0.45),
    Governorate(9, "IQ-DI", "Diyala", "ديالى", 14, 4, (), "east", 0.42),
    Governorate(10, "IQ-KI", "Kirkuk", "كركوك", 12, 3, (("Christian", 1),), "kirkuk", 0.43),
    Governorate(11, "IQ-SD", "Salahaddin", "صلاح الدين", 12, 3, (), "north", 0.47),
    Governorate(12, "IQ-NA", "Najaf", "النجف", 12, 3, (), "south", 0.41),
    Governorate(13, "IQ-WA", "Wasit", "واسط", 11, 3, (("Feyli Kurd", 1),), "south", 0.43),
    Governorate(14, "IQ-QA", "Qadisiyah", "القادسية", 11, 3, (), "south", 0.43),
    Governorate(15, "IQ-KA", "Karbala", "كربلاء", 11, 3, (), "south", 0.43),
    Governorate(16, "IQ-DA", "Duhok", "دهوك", 11, 3, (("Christian", 1),), "kurdistan", 0.52),
    Governorate(17, "IQ-MA", "Maysan", "ميسان", 10, 3, (), "south", 0.41),
    Governorate(18, "IQ-MU", "Muthanna", "المثنى", 7, 2, (), "south", 0.44),
)

GENERAL_SEATS = 320
MINORITY_SEATS = 9
HOUSE_SIZE = 329
DISTRICT_MAGNITUDES = (3, 4, 5)  # Chatham House: 83 districts of 3-5 seats; per-district seats are a GAP


@dataclass(frozen=True, slots=True)
class MinorityContest:
    contest_id: str
    group: str
    name: str
    name_arabic: str
    seats_by_governorate: tuple[tuple[str, int], ...]  # ISO code -> seats
    candidates: int  # UNAMI No. 10
    women: int  # Christian 13: Kurdistan24; the others are a GAP (illustrative)
    votes: int  # national valid votes: Christian 46,396 (Kurdistan24); the split of the other 49,680 is a GAP
    candidates_by_governorate: tuple[tuple[str, int], ...] = ()  # where Christian candidates run: GAP

    @property
    def seats(self) -> int:
        return sum(n for _, n in self.seats_by_governorate)

    @property
    def nationwide(self) -> bool:
        return len(self.seats_by_governorate) > 1


MINORITY_CONTESTS: tuple[MinorityContest, ...] = (
    MinorityContest("MIN-CHRISTIAN", "Christian", "Christian seats (nationwide)",
                    "كوتا المسيحيين (عموم العراق)",
                    (("IQ-BG", 1), ("IQ-NI", 1), ("IQ-KI", 1), ("IQ-AR", 1), ("IQ-DA", 1)), 34, 13, 46_396,
                    (("IQ-BG", 8), ("IQ-NI", 10), ("IQ-KI", 5), ("IQ-AR", 6), ("IQ-DA", 5))),
    MinorityContest("MIN-FEYLI", "Feyli Kurd", "Feyli Kurd seat (Wasit)", "كوتا الكرد الفيليين (واسط)",
                    (("IQ-WA", 1),), 10, 2, 28_000),
    MinorityContest("MIN-SABEAN", "Sabean-Mandaean", "Sabean-Mandaean seat (Baghdad)",
                    "كوتا الصابئة المندائيين (بغداد)",
                    (("IQ-BG", 1),), 8, 2, 4_680),
    MinorityContest("MIN-SHABAK", "Shabak", "Shabak seat (Nineveh)", "كوتا الشبك (نينوى)",
                    (("IQ-NI", 1),), 8, 1, 8_000),
    MinorityContest("MIN-YAZIDI", "Yazidi", "Yazidi seat (Nineveh)", "كوتا الإيزيديين (نينوى)",
                    (("IQ-NI", 1),), 7, 1, 9_000),
)

# UNAMI No. 10: 3,249 candidates, 951 women, 67 of them for minority seats.
CANDIDATES = 3_249
WOMEN_CANDIDATES = 951
MINORITY_CANDIDATES = 67
GENERAL_CANDIDATES = CANDIDATES - MINORITY_CANDIDATES
GENERAL_WOMEN_CANDIDATES = WOMEN_CANDIDATES - sum(m.women for m in MINORITY_CONTESTS)

# UNAMI No. 9: regular polling.
STATIONS = 55_041
CENTRES = 8_273
REGISTERED = 22_000_000  # IHEC chair at certification, "22 million"
NATIONAL_TURNOUT = 0.41  # IHEC preliminary
SPECIAL_TURNOUT = 0.69  # special (security-forces) vote, Shafaqna
IDP_TURNOUT = 0.45  # GAP: displaced-persons stations, illustrative


def governorate_by_iso() -> dict[str, Governorate]:
    return {g.iso: g for g in GOVERNORATES}
