"""The fixed reference data of the demo shop: Iran's provinces and main cities, the payment and
shipping methods, the product catalogue, and the names and phrases orders are made of.

Nothing here touches the database; `bazaar.demo.plan` draws from these tables and
`bazaar.demo.services` writes them.

Province codes: two Latin letters per province, the HASC-style scheme of the source documents'
example (`{"name": "آذربایجان شرقی", "code": "EA"}`). The ISO 3166-2:IR number sits beside each
for reference (docs/seed-performance.md lists both).
"""

from dataclasses import dataclass

COUNTRY_NAME = "ایران"
COUNTRY_CODE = "IR"


@dataclass(frozen=True)
class Province:
    code: str
    iso: str  # ISO 3166-2:IR, for reference only
    name: str
    population: float  # millions (2016 census, rounded): how often orders come from there
    cities: tuple[str, ...]  # the provincial capital first


# fmt: off
PROVINCES: tuple[Province, ...] = (
    Province("EA", "IR-01", "آذربایجان شرقی", 3.9,
             ("تبریز", "مراغه", "مرند", "اسکو", "میانه", "اهر")),
    Province("WA", "IR-02", "آذربایجان غربی", 3.3,
             ("ارومیه", "خوی", "مهاباد", "میاندوآب", "سلماس")),
    Province("AR", "IR-03", "اردبیل", 1.3, ("اردبیل", "پارس\u200cآباد", "مشگین\u200cشهر", "خلخال")),
    Province("ES", "IR-04", "اصفهان", 5.1,
             ("اصفهان", "کاشان", "خمینی\u200cشهر", "نجف\u200cآباد", "شاهین\u200cشهر")),
    Province("IL", "IR-05", "ایلام", 0.6, ("ایلام", "دهلران", "ایوان", "آبدانان")),
    Province("BS", "IR-06", "بوشهر", 1.2, ("بوشهر", "برازجان", "گناوه", "کنگان")),
    Province("TH", "IR-07", "تهران", 13.3,
             ("تهران", "شهریار", "اسلامشهر", "ری", "ورامین", "دماوند")),
    Province("CM", "IR-08", "چهارمحال و بختیاری", 0.9, ("شهرکرد", "بروجن", "فارسان", "لردگان")),
    Province("KZ", "IR-10", "خوزستان", 4.7, ("اهواز", "دزفول", "آبادان", "خرمشهر", "بندر ماهشهر")),
    Province("ZA", "IR-11", "زنجان", 1.1, ("زنجان", "ابهر", "خرمدره")),
    Province("SM", "IR-12", "سمنان", 0.7, ("سمنان", "شاهرود", "دامغان", "گرمسار")),
    Province("SB", "IR-13", "سیستان و بلوچستان", 2.8, ("زاهدان", "زابل", "چابهار", "ایرانشهر")),
    Province("FA", "IR-14", "فارس", 4.9, ("شیراز", "مرودشت", "کازرون", "جهرم", "فسا")),
    Province("KE", "IR-15", "کرمان", 3.2, ("کرمان", "رفسنجان", "سیرجان", "بم", "جیرفت")),
    Province("KD", "IR-16", "کردستان", 1.6, ("سنندج", "سقز", "مریوان", "بانه")),
    Province("BK", "IR-17", "کرمانشاه", 2.0,
             ("کرمانشاه", "اسلام\u200cآباد غرب", "کنگاور", "هرسین")),
    Province("KB", "IR-18", "کهگیلویه و بویراحمد", 0.7, ("یاسوج", "دوگنبدان", "دهدشت")),
    Province("GI", "IR-19", "گیلان", 2.5, ("رشت", "بندر انزلی", "لاهیجان", "لنگرود", "آستارا")),
    Province("LO", "IR-20", "لرستان", 1.8, ("خرم\u200cآباد", "بروجرد", "دورود", "الیگودرز")),
    Province("MN", "IR-21", "مازندران", 3.3, ("ساری", "بابل", "آمل", "قائم\u200cشهر", "نوشهر")),
    Province("MD", "IR-22", "مرکزی", 1.4, ("اراک", "ساوه", "خمین", "محلات")),
    Province("HG", "IR-23", "هرمزگان", 1.8, ("بندرعباس", "قشم", "میناب", "بندر لنگه")),
    Province("HD", "IR-24", "همدان", 1.7, ("همدان", "ملایر", "نهاوند", "اسدآباد")),
    Province("YA", "IR-25", "یزد", 1.1, ("یزد", "میبد", "اردکان", "بافق")),
    Province("QM", "IR-26", "قم", 1.3, ("قم",)),
    Province("GO", "IR-27", "گلستان", 1.9, ("گرگان", "گنبد کاووس", "علی\u200cآباد کتول")),
    Province("QZ", "IR-28", "قزوین", 1.3, ("قزوین", "تاکستان", "الوند")),
    Province("KJ", "IR-29", "خراسان جنوبی", 0.8, ("بیرجند", "قائن", "طبس", "فردوس")),
    Province("KV", "IR-30", "خراسان رضوی", 6.4,
             ("مشهد", "نیشابور", "سبزوار", "تربت حیدریه", "قوچان")),
    Province("KS", "IR-31", "خراسان شمالی", 0.9, ("بجنورد", "شیروان", "اسفراین")),
    Province("AL", "IR-32", "البرز", 2.7, ("کرج", "فردیس", "نظرآباد", "هشتگرد")),
)
# fmt: on


@dataclass(frozen=True)
class Method:
    name: str
    label: str  # drawn on its generated picture (Pillow's bundled font has Latin glyphs only)
    colour: str
    # Shipping methods (SPEC §14): the carrier's tracking page, and how many digits its tracking
    # numbers have; None for a carrier without tracking (the courier hands the parcel over).
    tracking_url_template: str | None = None
    tracking_digits: int | None = None


# Order matters: plan.py refers to methods by their index in these tuples.
PAYMENT_METHODS: tuple[Method, ...] = (
    Method("درگاه اینترنتی", "IPG", "#1565c0"),
    Method("کارت به کارت", "C2C", "#2e7d32"),
    Method("پرداخت در محل", "COD", "#ef6c00"),
)
GATEWAY, CARD_TO_CARD, CASH_ON_DELIVERY = 0, 1, 2

SHIPPING_METHODS: tuple[Method, ...] = (
    # Iran Post's 24-digit barcode number and Tipax's 12-digit waybill number.
    Method("پست پیشتاز", "POST", "#c62828", "https://tracking.post.ir/?id={tracking_number}", 24),
    Method("تیپاکس", "TPX", "#6a1b9a", "https://tipaxco.com/tracking?code={tracking_number}", 12),
    Method("پیک موتوری", "MOTO", "#00838f"),
)
# Shipping cost ranges in rial, by shipping method index; the courier rides in big cities only.
SHIPPING_COSTS: tuple[tuple[int, int], ...] = (
    (350_000, 900_000),
    (500_000, 1_200_000),
    (150_000, 450_000),
)


@dataclass(frozen=True)
class BranchSpec:
    code: str
    name: str
    province: str  # province code
    city: str
    address: str
    mobile_number: str


# Pickup branches (delivery_method "pickup", SPEC §11); orders from these provinces may use them.
BRANCHES: tuple[BranchSpec, ...] = (
    BranchSpec("THR-01", "شعبه مرکزی تهران", "TH", "تهران", "تهران، خیابان ولیعصر، پلاک ۱۲۰۰",
               "09121000001"),
    BranchSpec("ESF-01", "شعبه اصفهان", "ES", "اصفهان", "اصفهان، خیابان چهارباغ عباسی، پلاک ۴۵",
               "09131000001"),
    BranchSpec("MHD-01", "شعبه مشهد", "KV", "مشهد", "مشهد، بلوار وکیل\u200cآباد، پلاک ۳۱۰",
               "09151000001"),
)  # fmt: skip


@dataclass(frozen=True)
class ProductSpec:
    code: str  # the SKU: category digit, "001", then a running number ("1001001")
    title: str
    price: int  # rial
    label: str  # drawn on its generated picture


_CATEGORY_COLOURS = ("#37474f", "#283593", "#00695c", "#6d4c41", "#ad1457", "#f9a825", "#2e7d32")


def _category(number: int, *entries: tuple[str, int, str]) -> tuple[ProductSpec, ...]:
    return tuple(
        ProductSpec(code=f"{number}001{index:03d}", title=title, price=price, label=label)
        for index, (title, price, label) in enumerate(entries, start=1)
    )


PRODUCTS: tuple[ProductSpec, ...] = (
    *_category(
        1,  # computers and accessories
        ("ماوس لاجیتک MX Vertical", 65_000_000, "MX"),
        ("ماوس بی\u200cسیم لاجیتک M185", 7_900_000, "M185"),
        ("کیبورد مکانیکی ردراگون K552", 21_500_000, "K552"),
        ("کیبورد و ماوس بی\u200cسیم لاجیتک MK270", 16_800_000, "MK270"),
        ("هدست گیمینگ هایپرایکس Cloud II", 58_000_000, "HX"),
        ("وب\u200cکم لاجیتک C920", 49_000_000, "C920"),
        ("هارد اکسترنال وسترن دیجیتال Elements 2TB", 52_000_000, "WD"),
        ("فلش مموری سن\u200cدیسک Ultra 64GB", 4_200_000, "64GB"),
        ("حافظه SSD سامسونگ 870 EVO 1TB", 68_000_000, "SSD"),
        ("مانیتور ال\u200cجی 24MP400 سایز ۲۴ اینچ", 115_000_000, "LG"),
        ("لپ\u200cتاپ لنوو IdeaPad Slim 3", 420_000_000, "IP3"),
        ("روتر تی\u200cپی\u200cلینک Archer C6", 24_000_000, "C6"),
    ),
    *_category(
        2,  # mobile
        ("گوشی سامسونگ Galaxy A55", 245_000_000, "A55"),
        ("گوشی شیائومی Redmi Note 13", 135_000_000, "RN13"),
        ("گوشی اپل iPhone 15", 780_000_000, "i15"),
        ("هدفون بی\u200cسیم اپل AirPods Pro 2", 165_000_000, "APP2"),
        ("هندزفری بلوتوث شیائومی Redmi Buds 5", 19_500_000, "RB5"),
        ("پاوربانک انکر PowerCore 20000", 29_000_000, "PC20"),
        ("شارژر دیواری سامسونگ 25W", 9_800_000, "25W"),
        ("کابل شارژ USB-C بیسوس ۱ متری", 2_300_000, "USB"),
        ("قاب سیلیکونی iPhone 15", 3_500_000, "CASE"),
        ("مچ\u200cبند هوشمند شیائومی Smart Band 8", 23_000_000, "SB8"),
        ("تبلت سامسونگ Galaxy Tab A9", 110_000_000, "TAB"),
        ("محافظ صفحه گلس Galaxy A55", 1_500_000, "GLS"),
    ),
    *_category(
        3,  # home appliances
        ("جاروبرقی بوش BGL3", 145_000_000, "BGL3"),
        ("چای\u200cساز پارس خزر CT-3500", 38_000_000, "CT"),
        ("سرخ\u200cکن بدون روغن فیلیپس HD9252", 98_000_000, "HD"),
        ("اتو بخار تفال FV2845", 46_000_000, "FV"),
        ("مخلوط\u200cکن مولینکس LM2A", 27_000_000, "LM2A"),
        ("کتری برقی پارس خزر KE-9000", 14_500_000, "KE"),
        ("آبمیوه\u200cگیری پارس خزر JB-1600", 31_000_000, "JB"),
        ("سشوار رمینگتون D3010", 22_000_000, "D3010"),
        ("ماشین اصلاح فیلیپس OneBlade", 39_000_000, "OB"),
        ("پنکه ایستاده پارس خزر 1650", 35_000_000, "FAN"),
    ),
    *_category(
        4,  # books
        ("کتاب «شازده کوچولو»", 1_800_000, "B1"),
        ("کتاب «بوف کور» صادق هدایت", 1_200_000, "B2"),
        ("کتاب «کلیدر» محمود دولت\u200cآبادی، دوره ده جلدی", 14_500_000, "B3"),
        ("کتاب «سمفونی مردگان» عباس معروفی", 2_400_000, "B4"),
        ("دیوان حافظ، چاپ نفیس", 6_500_000, "B5"),
        ("کتاب Atomic Habits، ترجمه فارسی", 2_900_000, "B6"),
        ("کتاب «صد سال تنهایی»", 3_200_000, "B7"),
        ("شاهنامه فردوسی، دوره دو جلدی", 9_800_000, "B8"),
    ),
    *_category(
        5,  # fashion
        ("کفش ورزشی نایکی Revolution 7", 48_000_000, "NK"),
        ("کفش پیاده\u200cروی اسکچرز Go Walk", 39_000_000, "SK"),
        ("تی\u200cشرت نخی مردانه سایز L", 4_900_000, "TS"),
        ("مانتو کتان زنانه", 12_500_000, "MT"),
        ("کوله\u200cپشتی لپ\u200cتاپ ضدآب", 8_700_000, "BP"),
        ("عینک آفتابی ری\u200cبن Aviator", 62_000_000, "RB"),
        ("شال نخی زنانه", 2_800_000, "SH"),
        ("ساعت مچی کاسیو MTP-1302", 26_000_000, "CAS"),
    ),
    *_category(
        6,  # grocery and beauty
        ("زعفران سرگل ممتاز ۴٫۶ گرمی", 9_200_000, "ZF"),
        ("چای ایرانی لاهیجان ۴۵۰ گرمی", 2_600_000, "TEA"),
        ("پسته اکبری ۵۰۰ گرمی", 11_500_000, "PST"),
        ("خرما مضافتی بم ۱ کیلویی", 2_200_000, "DT"),
        ("عسل طبیعی سبلان ۱ کیلویی", 7_800_000, "HNY"),
        ("گز اصفهان ۴۵۰ گرمی", 4_100_000, "GAZ"),
        ("کرم ضدآفتاب سینره SPF50", 3_600_000, "SPF"),
        ("شامپو گلیس ۴۰۰ میلی\u200cلیتری", 1_900_000, "SHP"),
        ("ادکلن دیور Sauvage", 145_000_000, "DIOR"),
        ("رژ لب مای", 950_000, "MY"),
    ),
    *_category(
        7,  # sports and toys
        ("توپ فوتبال آدیداس Al Rihla", 16_500_000, "BALL"),
        ("دمبل ۵ کیلویی، جفت", 7_400_000, "DB"),
        ("مت یوگا ۶ میلی\u200cمتری", 5_300_000, "YOGA"),
        ("لگو Classic Creative Box", 33_000_000, "LEGO"),
        ("دوچرخه کوهستان ۲۶ اینچ", 185_000_000, "BIKE"),
        ("پازل ۱۰۰۰ تکه", 3_800_000, "PZL"),
    ),
)


def product_colour(code: str) -> str:
    return _CATEGORY_COLOURS[(int(code[0]) - 1) % len(_CATEGORY_COLOURS)]


# fmt: off
# Persian names with a Latin spelling for e-mail addresses.
MALE_NAMES: tuple[tuple[str, str], ...] = (
    ("علی", "ali"), ("محمد", "mohammad"), ("حسین", "hossein"), ("رضا", "reza"), ("مهدی", "mahdi"),
    ("امیر", "amir"), ("سعید", "saeed"), ("حمید", "hamid"), ("مجید", "majid"), ("بهروز", "behrooz"),
    ("پدرام", "pedram"), ("کامران", "kamran"), ("آرش", "arash"), ("بابک", "babak"),
    ("داریوش", "dariush"), ("فرهاد", "farhad"), ("کیوان", "keyvan"), ("مسعود", "masoud"),
    ("نیما", "nima"), ("پویا", "pouya"), ("سینا", "sina"), ("امید", "omid"), ("حامد", "hamed"),
    ("جواد", "javad"), ("مرتضی", "morteza"), ("مصطفی", "mostafa"), ("ایمان", "iman"),
    ("میلاد", "milad"), ("شهاب", "shahab"), ("کاوه", "kaveh"),
)
FEMALE_NAMES: tuple[tuple[str, str], ...] = (
    ("فاطمه", "fatemeh"), ("زهرا", "zahra"), ("مریم", "maryam"), ("سارا", "sara"),
    ("نرگس", "narges"), ("لیلا", "leila"), ("شیرین", "shirin"), ("نازنین", "nazanin"),
    ("مهسا", "mahsa"), ("الهام", "elham"), ("ریحانه", "reyhaneh"), ("سمیرا", "samira"),
    ("پریسا", "parisa"), ("نیلوفر", "niloofar"), ("آزاده", "azadeh"), ("مینا", "mina"),
    ("یاسمن", "yasaman"), ("هانیه", "hanieh"), ("سپیده", "sepideh"), ("ترانه", "taraneh"),
    ("بهاره", "bahareh"), ("کیمیا", "kimia"), ("رویا", "roya"), ("فرناز", "farnaz"),
    ("گلناز", "golnaz"), ("محدثه", "mohadeseh"), ("الناز", "elnaz"), ("شیدا", "sheida"),
    ("آیدا", "aida"), ("هستی", "hasti"),
)
LAST_NAMES: tuple[tuple[str, str], ...] = (
    ("محمدی", "mohammadi"), ("حسینی", "hosseini"), ("احمدی", "ahmadi"), ("رضایی", "rezaei"),
    ("کریمی", "karimi"), ("موسوی", "mousavi"), ("جعفری", "jafari"), ("قربانی", "ghorbani"),
    ("زمانی", "zamani"), ("صادقی", "sadeghi"), ("رحیمی", "rahimi"), ("کاظمی", "kazemi"),
    ("هاشمی", "hashemi"), ("نوری", "nouri"), ("عباسی", "abbasi"), ("اکبری", "akbari"),
    ("طاهری", "taheri"), ("مرادی", "moradi"), ("سلیمانی", "soleimani"), ("شریفی", "sharifi"),
    ("یزدانی", "yazdani"), ("فرهادی", "farhadi"), ("نجفی", "najafi"), ("باقری", "bagheri"),
    ("امیری", "amiri"), ("کرمانی", "kermani"), ("تهرانی", "tehrani"), ("شیرازی", "shirazi"),
    ("اصفهانی", "esfahani"), ("تبریزی", "tabrizi"), ("رستمی", "rostami"), ("خلیلی", "khalili"),
    ("بهرامی", "bahrami"), ("سهرابی", "sohrabi"), ("قاسمی", "ghasemi"), ("ملکی", "maleki"),
    ("نادری", "naderi"), ("پارسا", "parsa"), ("افشار", "afshar"), ("کیانی", "kiani"),
)

# Operator prefixes in use today; customers' numbers are drawn from these (the API accepts any
# 09xxxxxxxxx, SPEC §8).
MOBILE_PREFIXES: tuple[str, ...] = (
    "0912", "0913", "0914", "0915", "0916", "0917", "0918", "0919", "0910", "0911", "0901",
    "0902", "0903", "0905", "0930", "0933", "0935", "0936", "0937", "0938", "0939", "0990",
    "0991", "0992", "0921", "0922",
)

STREETS: tuple[str, ...] = (
    "آزادی", "انقلاب", "ولیعصر", "امام خمینی", "شریعتی", "فردوسی", "جمهوری", "بهار", "گلستان",
    "نرگس", "لاله", "سعدی", "حافظ", "مطهری", "طالقانی", "کارگر", "پاسداران", "بهشتی",
)

ORDER_NOTES: tuple[str, ...] = (
    "لطفاً قبل از ارسال تماس بگیرید.",
    "زنگ واحد خراب است؛ با موبایل تماس بگیرید.",
    "ارسال بعد از ساعت ۱۷.",
    "بسته\u200cبندی کادویی شود.",
    "فاکتور رسمی به نام شرکت صادر شود.",
    "تحویل به نگهبانی ساختمان.",
    "در صورت امکان امروز ارسال شود.",
    "مشتری درخواست تعویض رنگ داشت؛ پیگیری شد.",
)
# SPEC §14: what staff write on shipments and refunds.
SHIPMENT_NOTES: tuple[str, ...] = ("شکستنی", "تحویل به نگهبانی ساختمان", "تماس قبل از ارسال")
CANCELLED_SHIPMENT_NOTES: tuple[str, ...] = (
    "آدرس اشتباه ثبت شده بود",
    "برچسب اشتباه چاپ شد",
    "تغییر شرکت حمل به درخواست مشتری",
)
WHOLE_REFUND_REASONS: dict[str, tuple[str, ...]] = {
    "before_shipping": ("لغو سفارش به درخواست مشتری", "ناموجود بودن کالا"),
    "returned": ("مرجوعی کالا: مغایرت با توضیحات", "مرجوعی کالا: انصراف از خرید"),
    "lost": ("گم شدن مرسوله در مسیر",),
}
RETURN_REASONS: tuple[str, ...] = ("کالای معیوب", "مرجوعی در مهلت هفت روزه", "ارسال کالای اشتباه")
GOODWILL_REASONS: tuple[str, ...] = ("تأخیر در ارسال", "آسیب دیدگی بسته‌بندی")
SHIPPING_REFUND_REASON = "بازپرداخت هزینه ارسال"

ITEM_NOTES: tuple[str, ...] = ("رنگ مشکی", "رنگ سفید", "کادوپیچ شود", "سایز L", "بدون فاکتور قیمت")
CHANNELS: tuple[str, ...] = ("web", "app", "instagram", "phone")
# fmt: on


@dataclass(frozen=True)
class CouponSpec:
    """A demo coupon (SPEC §12). Days are relative to the run: negative is in the past."""

    code: str
    kind: str  # "percent" or "fixed"
    value: int
    max_discount: int | None = None
    min_subtotal: int = 0
    max_uses: int | None = None
    max_uses_per_customer: int | None = None
    valid_from_days: int | None = None
    valid_to_days: int | None = None
    is_active: bool = True
    applied: bool = True  # demo orders use it (unlimited and valid all year)


COUPONS: tuple[CouponSpec, ...] = (
    CouponSpec("NOROOZ1405", "percent", 10, max_discount=1_500_000),
    CouponSpec("WELCOME", "fixed", 500_000, min_subtotal=5_000_000),
    CouponSpec("YALDA", "percent", 15, max_discount=3_000_000, min_subtotal=10_000_000),
    CouponSpec("FREESHIP", "fixed", 750_000),
    # Examples of the other rules, held by no order: limited, expired, not yet valid, inactive.
    CouponSpec("VIP-100", "percent", 20, max_uses=100, max_uses_per_customer=1, applied=False),
    CouponSpec("SUMMER1404", "percent", 25, valid_from_days=-300, valid_to_days=-200,
               applied=False),
    CouponSpec("MEHR1405", "fixed", 1_000_000, valid_from_days=30, valid_to_days=60,
               applied=False),
    CouponSpec("OLD_PROMO", "fixed", 200_000, is_active=False, applied=False),
)  # fmt: skip

# Order labels (SPEC §12, Salla's tags).
TAGS: tuple[str, ...] = ("هدیه", "فوری", "عمده", "VIP", "اینستاگرام", "بازگشتی")
TAX_RATE = "9.00"  # Iran's VAT
