"""Candidate and party names for synthetic elections.

Our own short lists, each name in Latin transliteration and Arabic script, combined at random so that no name
belongs to a real candidate on purpose.

Iraqi names follow the pattern given name + father's name + family or tribal name; women carry their father's
name too. Names of prominent politicians' families are left out so that the data cannot be mistaken for real.
"""

from __future__ import annotations

from enum import Enum

import numpy as np


class NameScript(str, Enum):
    LATIN = "latin"
    ARABIC = "arabic"


class Culture(str, Enum):
    ARAB = "arab"
    KURD = "kurd"
    CHRISTIAN = "christian"
    YAZIDI = "yazidi"


Name = tuple[str, str]  # (Latin, Arabic)

ARAB_MEN: tuple[Name, ...] = (
    ("Ahmed", "أحمد"), ("Mohammed", "محمد"), ("Ali", "علي"), ("Hussein", "حسين"), ("Hassan", "حسن"),
    ("Abbas", "عباس"), ("Kadhim", "كاظم"), ("Jabbar", "جبار"), ("Haider", "حيدر"), ("Mustafa", "مصطفى"),
    ("Omar", "عمر"), ("Khalid", "خالد"), ("Saad", "سعد"), ("Salim", "سليم"), ("Karim", "كريم"),
    ("Jassim", "جاسم"), ("Falah", "فلاح"), ("Adnan", "عدنان"), ("Majid", "ماجد"), ("Riyadh", "رياض"),
    ("Ibrahim", "إبراهيم"), ("Yasser", "ياسر"), ("Qais", "قيس"), ("Muhannad", "مهند"), ("Zaid", "زيد"),
    ("Bashir", "بشير"), ("Hamid", "حميد"), ("Sabah", "صباح"), ("Raad", "رعد"), ("Mahmoud", "محمود"),
    ("Abdullah", "عبد الله"), ("Waleed", "وليد"), ("Firas", "فراس"), ("Ammar", "عمار"), ("Hadi", "هادي"),
    ("Jawad", "جواد"), ("Sami", "سامي"), ("Talib", "طالب"), ("Nasser", "ناصر"), ("Faisal", "فيصل"),
)
ARAB_WOMEN: tuple[Name, ...] = (
    ("Zainab", "زينب"), ("Fatima", "فاطمة"), ("Maryam", "مريم"), ("Huda", "هدى"), ("Suhad", "سهاد"),
    ("Alia", "عالية"), ("Nada", "ندى"), ("Shaima", "شيماء"), ("Iman", "إيمان"), ("Rasha", "رشا"),
    ("Hanan", "حنان"), ("Intisar", "انتصار"), ("Ban", "بان"), ("Sara", "سارة"), ("Asmaa", "أسماء"),
    ("Rana", "رنا"), ("Wafaa", "وفاء"), ("Lamia", "لمياء"), ("Nawal", "نوال"), ("Ibtisam", "ابتسام"),
    ("Amal", "أمل"), ("Sundus", "سندس"), ("Raghad", "رغد"), ("Dalia", "داليا"),
)
ARAB_FAMILIES: tuple[Name, ...] = (
    ("al-Tamimi", "التميمي"), ("al-Saadi", "الساعدي"), ("al-Jubouri", "الجبوري"), ("al-Dulaimi", "الدليمي"),
    ("al-Obeidi", "العبيدي"), ("al-Shammari", "الشمري"), ("al-Zubaidi", "الزبيدي"), ("al-Khafaji", "الخفاجي"),
    ("al-Rubaie", "الربيعي"), ("al-Asadi", "الأسدي"), ("al-Musawi", "الموسوي"), ("al-Janabi", "الجنابي"),
    ("al-Hamdani", "الهمداني"), ("al-Lami", "اللامي"), ("al-Kaabi", "الكعبي"), ("al-Bayati", "البياتي"),
    ("al-Azzawi", "العزاوي"), ("al-Mashhadani", "المشهداني"), ("al-Ani", "العاني"), ("al-Rawi", "الراوي"),
    ("al-Hilli", "الحلي"), ("al-Bahadli", "البهادلي"), ("al-Fatlawi", "الفتلاوي"), ("al-Yasiri", "الياسري"),
    ("al-Gharawi", "الغراوي"), ("al-Tai", "الطائي"), ("al-Khazraji", "الخزرجي"), ("al-Mayahi", "المياحي"),
)
KURD_MEN: tuple[Name, ...] = (
    ("Karwan", "كاروان"), ("Shwan", "شوان"), ("Rebwar", "ريبوار"), ("Dilshad", "دلشاد"), ("Hemin", "هيمن"),
    ("Azad", "آزاد"), ("Sherko", "شيركو"), ("Hoshyar", "هوشيار"), ("Kawa", "كاوه"), ("Nawzad", "نوزاد"),
    ("Bakhtiyar", "بختيار"), ("Sardar", "سردار"), ("Aram", "آرام"), ("Dana", "دانا"), ("Hiwa", "هيوا"),
    ("Omed", "اوميد"), ("Rizgar", "رزگار"), ("Saman", "سامان"), ("Sirwan", "سيروان"), ("Zana", "زانا"),
    ("Omar", "عمر"), ("Mustafa", "مصطفى"), ("Ahmed", "أحمد"), ("Salah", "صلاح"),
)
KURD_WOMEN: tuple[Name, ...] = (
    ("Shilan", "شيلان"), ("Nasrin", "نسرين"), ("Hero", "هيرو"), ("Avin", "آفين"), ("Bahar", "بهار"),
    ("Rezan", "ريزان"), ("Jwan", "جوان"), ("Nazanin", "نازنين"), ("Shirin", "شيرين"), ("Sozan", "سوزان"),
    ("Vian", "فيان"), ("Lana", "لانا"), ("Kazhal", "كژال"), ("Nask", "ناسك"), ("Tara", "تارا"),
)
KURD_FAMILIES: tuple[Name, ...] = (
    ("Barzinji", "برزنجي"), ("Sindi", "سندي"), ("Doski", "دوسكي"), ("Hawrami", "هورامي"), ("Jaf", "الجاف"),
    ("Mizuri", "ميزوري"), ("Shwani", "شواني"), ("Pishdari", "بشدري"), ("Bradosti", "برادوستي"),
    ("Harki", "هركي"), ("Dizayi", "دزيي"), ("Khoshnaw", "خوشناو"), ("Baban", "بابان"),
    ("Rozhbayani", "روژبياني"), ("Garmiyani", "كرمياني"),
)
CHRISTIAN_MEN: tuple[Name, ...] = (
    ("Yousif", "يوسف"), ("Hanna", "حنا"), ("Gorgis", "كوركيس"), ("Butros", "بطرس"), ("Elias", "إلياس"),
    ("Sargon", "سركون"), ("Ashur", "آشور"), ("Nabil", "نبيل"), ("Fadi", "فادي"), ("Rafeeq", "رفيق"),
    ("Emad", "عماد"), ("Basim", "باسم"), ("Matti", "متي"), ("Toma", "توما"), ("Ninos", "نينوس"),
)
CHRISTIAN_WOMEN: tuple[Name, ...] = (
    ("Maryam", "مريم"), ("Nadia", "نادية"), ("Rita", "ريتا"), ("Christina", "كرستينا"), ("Layla", "ليلى"),
    ("Samira", "سميرة"), ("Marta", "مارتا"), ("Hilda", "هيلدا"), ("Evelyn", "إيفلين"), ("Ninar", "نينار"),
)
CHRISTIAN_FAMILIES: tuple[Name, ...] = (
    ("Yalda", "يلدا"), ("Shamoun", "شمعون"), ("Oraha", "أوراها"), ("Khoshaba", "خوشابا"),
    ("Benyamin", "بنيامين"),
    ("Daniel", "دانيال"), ("Aziz", "عزيز"), ("Sliwa", "صليوا"), ("Kakos", "ككوس"), ("Polus", "بولس"),
)
YAZIDI_MEN: tuple[Name, ...] = (
    ("Khidir", "خضر"), ("Khudeida", "خديدة"), ("Dakhil", "دخيل"), ("Murad", "مراد"), ("Qasim", "قاسم"),
    ("Haji", "حجي"), ("Elias", "إلياس"), ("Saeed", "سعيد"), ("Shamo", "شمو"), ("Barakat", "بركات"),
)
YAZIDI_WOMEN: tuple[Name, ...] = (
    ("Nadia", "نادية"), ("Jihan", "جيهان"), ("Layla", "ليلى"), ("Vian", "فيان"), ("Hadiya", "هدية"),
)
YAZIDI_FAMILIES: tuple[Name, ...] = (
    ("Sinjari", "سنجاري"), ("Shekhani", "شيخاني"), ("Bashiqi", "بعشيقي"), ("Khanki", "خانكي"),
    ("Dinayi", "دنايي"),
)

_LISTS: dict[Culture, tuple[tuple[Name, ...], tuple[Name, ...], tuple[Name, ...]]] = {
    Culture.ARAB: (ARAB_MEN, ARAB_WOMEN, ARAB_FAMILIES),
    Culture.KURD: (KURD_MEN, KURD_WOMEN, KURD_FAMILIES),
    Culture.CHRISTIAN: (CHRISTIAN_MEN, CHRISTIAN_WOMEN, CHRISTIAN_FAMILIES),
    Culture.YAZIDI: (YAZIDI_MEN, YAZIDI_WOMEN, YAZIDI_FAMILIES),
}


def person_name(rng: np.random.Generator, culture: Culture, female: bool, script: NameScript) -> str:
    """Given name, father's name, family name."""
    men, women, families = _LISTS[culture]
    given = (women if female else men)[rng.integers(len(women if female else men))]
    father = men[rng.integers(len(men))]
    while father == given:  # "Ali Ali" reads as a mistake
        father = men[rng.integers(len(men))]
    family = families[rng.integers(len(families))]
    k = 1 if script is NameScript.ARABIC else 0
    return f"{given[k]} {father[k]} {family[k]}"


# Small-party names: "<Adjective> <Noun> for <Cause>"; in Arabic the adjective agrees with the noun's gender.
_PARTY_NOUNS: tuple[tuple[str, str, bool], ...] = (  # (Latin, Arabic with article, feminine)
    ("Movement", "الحركة", True), ("Party", "الحزب", False), ("Gathering", "التجمع", False),
    ("Front", "الجبهة", True), ("List", "القائمة", True), ("Bloc", "الكتلة", True),
    ("Alliance", "التحالف", False), ("Forum", "الملتقى", False), ("Current", "التيار", False),
)
_PARTY_ADJECTIVES: tuple[tuple[str, str, str], ...] = (  # (Latin, masculine, feminine)
    ("National", "الوطني", "الوطنية"), ("Democratic", "الديمقراطي", "الديمقراطية"),
    ("Civil", "المدني", "المدنية"),
    ("Free", "الحر", "الحرة"), ("Iraqi", "العراقي", "العراقية"), ("Popular", "الشعبي", "الشعبية"),
    ("Independent", "المستقل", "المستقلة"), ("Unified", "الموحد", "الموحدة"),
)
_PARTY_CAUSES: tuple[Name, ...] = (
    ("Development", "للتنمية"), ("Justice", "للعدالة"), ("Construction", "للبناء"), ("Dignity", "للكرامة"),
    ("Change", "للتغيير"), ("Peace", "للسلام"), ("Reform", "للإصلاح"), ("Citizenship", "للمواطنة"),
    ("Sovereignty", "للسيادة"), ("Loyalty", "للوفاء"),
)


def small_party_names(rng: np.random.Generator, count: int) -> list[Name]:
    """`count` distinct composed party names (at most 720)."""
    combos = len(_PARTY_NOUNS) * len(_PARTY_ADJECTIVES) * len(_PARTY_CAUSES)
    picks = rng.choice(combos, size=min(count, combos), replace=False)
    names = []
    for p in picks.tolist():
        noun, rest = divmod(p, len(_PARTY_ADJECTIVES) * len(_PARTY_CAUSES))
        adjective, cause = divmod(rest, len(_PARTY_CAUSES))
        n_lat, n_ar, feminine = _PARTY_NOUNS[noun]
        a_lat, a_m, a_f = _PARTY_ADJECTIVES[adjective]
        c_lat, c_ar = _PARTY_CAUSES[cause]
        names.append((f"{a_lat} {n_lat} for {c_lat}", f"{n_ar} {a_f if feminine else a_m} {c_ar}"))
    return names
