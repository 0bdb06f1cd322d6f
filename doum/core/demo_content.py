"""What the demo help desk talks about: people, companies and the requests of a shop and a
payments service, in Korean and English. Pure data; `doum.core.demo` decides who says what
and when.

Placeholders in the texts: {name} {order} {amount} {tracking} {courier} {card} {device}
{version} {date} {txn}. Every domain is under a reserved name (RFC 2606 `.example`,
example.com/net/org), so no demo address can ever reach a real mailbox.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# --- people -----------------------------------------------------------------------------------

KOREAN_FAMILY: tuple[tuple[str, str], ...] = (
    ("김", "kim"),
    ("이", "lee"),
    ("박", "park"),
    ("최", "choi"),
    ("정", "jung"),
    ("강", "kang"),
    ("조", "cho"),
    ("윤", "yoon"),
    ("장", "jang"),
    ("임", "lim"),
    ("한", "han"),
    ("오", "oh"),
    ("서", "seo"),
    ("신", "shin"),
    ("권", "kwon"),
    ("황", "hwang"),
    ("안", "ahn"),
    ("송", "song"),
    ("류", "ryu"),
    ("홍", "hong"),
)

KOREAN_GIVEN: tuple[tuple[str, str], ...] = (
    ("민준", "minjun"),
    ("서연", "seoyeon"),
    ("도윤", "doyun"),
    ("지우", "jiwoo"),
    ("하준", "hajun"),
    ("서윤", "seoyun"),
    ("예준", "yejun"),
    ("하은", "haeun"),
    ("시우", "siwoo"),
    ("지민", "jimin"),
    ("주원", "juwon"),
    ("수아", "sua"),
    ("지호", "jiho"),
    ("채원", "chaewon"),
    ("현우", "hyunwoo"),
    ("지유", "jiyu"),
    ("준서", "junseo"),
    ("다은", "daeun"),
    ("건우", "geonwoo"),
    ("예린", "yerin"),
    ("우진", "woojin"),
    ("소율", "soyul"),
    ("선우", "sunwoo"),
    ("윤서", "yunseo"),
    ("민서", "minseo"),
    ("태윤", "taeyun"),
    ("은지", "eunji"),
    ("성민", "seongmin"),
    ("혜진", "hyejin"),
    ("동현", "donghyun"),
    ("가은", "gaeun"),
    ("재원", "jaewon"),
)

ENGLISH_FIRST: tuple[str, ...] = (
    "James",
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Ava",
    "Ethan",
    "Sophia",
    "Lucas",
    "Mia",
    "Mason",
    "Isabella",
    "Logan",
    "Charlotte",
    "Daniel",
    "Amelia",
    "Henry",
    "Harper",
    "Jack",
    "Evelyn",
    "Ryan",
    "Grace",
    "Nathan",
    "Chloe",
    "Aaron",
    "Hannah",
    "Owen",
    "Zoe",
    "Priya",
    "Arjun",
    "Wei",
    "Mei",
    "Carlos",
    "Lucia",
    "Tom",
    "Sarah",
)

ENGLISH_LAST: tuple[str, ...] = (
    "Smith",
    "Johnson",
    "Brown",
    "Taylor",
    "Wilson",
    "Davies",
    "Evans",
    "Thomas",
    "Roberts",
    "Walker",
    "Wright",
    "Thompson",
    "White",
    "Hughes",
    "Edwards",
    "Green",
    "Hall",
    "Wood",
    "Harris",
    "Martin",
    "Clarke",
    "Jackson",
    "Patel",
    "Nguyen",
    "Garcia",
    "Chen",
    "Murphy",
    "O'Brien",
    "Fischer",
    "Rossi",
)

PERSONAL_DOMAINS: tuple[str, ...] = ("example.com", "example.net", "example.org")

FOREIGN_TIME_ZONES: tuple[str, ...] = (
    "Asia/Seoul",
    "Asia/Seoul",
    "Asia/Seoul",
    "America/Los_Angeles",
    "America/New_York",
    "Europe/London",
    "Asia/Singapore",
    "Australia/Sydney",
)

# (name, slug for the mail domain, shares tickets among members, notes)
ORGANIZATIONS: tuple[tuple[str, str, bool, str], ...] = (
    ("한빛상사", "hanbit", True, "연간 계약 고객사 (Enterprise)."),
    ("세종로지스", "sejong-logis", False, ""),
    ("바른식품", "bareun-food", True, "대량 주문 고객. 세금계산서 매월 발행."),
    ("푸른가구", "pureun-furniture", False, ""),
    ("미래전자", "mirae-elec", True, "Enterprise. 전담 매니저: 김민재."),
    ("다온뷰티", "daon-beauty", False, ""),
    ("서울커피랩", "seoul-coffee-lab", False, ""),
    ("온누리약국", "onnuri-pharmacy", False, ""),
    ("하늘여행사", "haneul-travel", True, ""),
    ("새봄출판", "saebom-books", False, ""),
    ("가온스튜디오", "gaon-studio", False, ""),
    ("누리테크", "nuri-tech", True, "Doum Pay 가맹점."),
    ("별빛문구", "byeolbit", False, ""),
    ("동해수산", "donghae-seafood", False, "신선식품: 배송 지연에 민감함."),
    ("한결건설", "hangyeol", False, ""),
    ("초록마켓", "chorok-market", True, "Doum Pay 가맹점, 정산 문의 잦음."),
    ("Northwind Traders", "northwind", True, "Enterprise account, renewal in Q3."),
    ("Blue Harbor Cafe", "blueharbor", False, ""),
    ("Maple Leaf Academy", "mapleleaf", False, ""),
    ("Brightside Apparel", "brightside", True, ""),
    ("Pixel Forge Games", "pixelforge", False, "Pays with corporate cards only."),
    ("Greenfield Organics", "greenfield", False, ""),
    ("Summit Outdoor", "summit-outdoor", False, ""),
    ("Lumen Optics", "lumen-optics", True, "Enterprise account."),
    ("Cobalt Systems", "cobalt", False, ""),
    ("Atlas Logistics", "atlas-logistics", False, ""),
    ("Seoul Startup Hub", "startup-hub", True, "Coworking space; many small orders."),
    ("Hanok Stay", "hanok-stay", False, ""),
    ("Jeju Green Tea Co.", "jeju-tea", False, ""),
    ("Riverstone Clinic", "riverstone", False, ""),
    ("Orbit Labs", "orbit-labs", False, ""),
    ("K-Culture Merch", "kculture-merch", True, ""),
)


@dataclass(frozen=True)
class StaffMember:
    email: str
    name: str
    role: str
    teams: tuple[str, ...] = ()
    leads: str = ""  # the team this person leads
    language: str = "ko"


DEMO_PASSWORD = "doum-demo"
STAFF_DOMAIN = "doum.example"

TEAMS: tuple[tuple[str, str], ...] = (
    ("billing", "Billing"),
    ("technical", "Technical Support"),
    ("delivery", "Delivery"),
)
TEAM_DESCRIPTIONS = {
    "billing": "결제, 환불, 영수증과 멤버십 — payments, refunds, receipts and memberships.",
    "technical": "로그인, 앱 오류, Doum Pay 카드 등록 — sign-in, app problems, Doum Pay cards.",
    "delivery": "배송, 교환, 파손과 주소 변경 — shipping, exchanges, damage and addresses.",
}

STAFF: tuple[StaffMember, ...] = (
    StaffMember(f"admin@{STAFF_DOMAIN}", "안도현", "admin"),
    StaffMember(f"director@{STAFF_DOMAIN}", "최지원", "director"),
    StaffMember(f"manager@{STAFF_DOMAIN}", "정하늘", "manager"),
    StaffMember(f"qa@{STAFF_DOMAIN}", "한소희", "qa_reviewer"),
    StaffMember(f"billing.lead@{STAFF_DOMAIN}", "김민재", "team_lead", ("billing",), "billing"),
    StaffMember(
        f"tech.lead@{STAFF_DOMAIN}", "Emily Carter", "team_lead", ("technical",), "technical", "en"
    ),
    StaffMember(f"delivery.lead@{STAFF_DOMAIN}", "박서준", "team_lead", ("delivery",), "delivery"),
    StaffMember(f"subin@{STAFF_DOMAIN}", "이수빈", "agent", ("billing",)),
    StaffMember(f"daniel@{STAFF_DOMAIN}", "Daniel Kim", "agent", ("billing",), language="en"),
    StaffMember(f"yerin@{STAFF_DOMAIN}", "강예린", "agent", ("technical", "billing")),
    StaffMember(f"jiho@{STAFF_DOMAIN}", "윤지호", "agent", ("technical",)),
    StaffMember(f"olivia@{STAFF_DOMAIN}", "Olivia Brown", "agent", ("technical",), language="en"),
    StaffMember(f"hyunwoo@{STAFF_DOMAIN}", "조현우", "agent", ("delivery",)),
    StaffMember(f"sam@{STAFF_DOMAIN}", "Sam Lee", "agent", ("delivery",), language="en"),
)

BRANDS: tuple[dict[str, str], ...] = (
    {
        "name": "Doum Shop",
        "slug": "shop",
        "address": "help@shop.doum.example",
        "portal_title": "Doum Shop 고객센터",
        "primary_color": "#1f6feb",
        "accent_color": "#0b3d91",
    },
    {
        "name": "Doum Pay",
        "slug": "pay",
        "address": "help@pay.doum.example",
        "portal_title": "Doum Pay 고객센터",
        "primary_color": "#0f9d58",
        "accent_color": "#0b6b3a",
    },
)

COURIERS_KO = ("CJ대한통운", "한진택배", "롯데택배", "우체국택배")
COURIERS_EN = ("CJ Logistics", "Hanjin", "Lotte Global Logistics", "Korea Post")
DEVICES = ("Galaxy S24", "Galaxy S23", "Galaxy A54", "iPhone 15", "iPhone 13 mini", "Pixel 8")
APP_VERSIONS = ("5.2.1", "5.2.4", "5.3.0")
PRICES = (9_900, 12_900, 19_800, 29_800, 39_000, 45_000, 89_000, 129_000, 159_000, 249_000)


# --- what people write ------------------------------------------------------------------------


@dataclass(frozen=True)
class Texts:
    ko: tuple[str, ...]
    en: tuple[str, ...]

    def pick(self, lang: str) -> tuple[str, ...]:
        return self.ko if lang == "ko" else self.en


@dataclass(frozen=True)
class Topic:
    key: str
    team: str
    weight: float
    pay_share: float  # how often it concerns Doum Pay rather than Doum Shop
    tags: tuple[str, ...]
    subjects: Texts
    bodies: Texts
    asks: Texts  # the agent needs something from the customer
    answers: Texts  # ...and the customer's answer
    solutions: Texts
    reopens: Texts
    notes: Texts
    holds: Texts  # internal note when waiting on a third party
    type: str = "question"
    urgent_share: float = 0.0
    high_share: float = 0.1
    one_touch: float = 0.3  # share solved with the first reply
    extra: dict[str, str] = field(default_factory=dict)


T = Texts

TOPICS: tuple[Topic, ...] = (
    Topic(
        key="refund",
        team="billing",
        weight=14,
        pay_share=0.15,
        tags=("refund",),
        subjects=T(
            ko=(
                "환불 요청드립니다",
                "주문 취소 후 환불이 안 들어왔어요",
                "환불 언제 되나요?",
                "반품했는데 환불 처리 부탁드려요 ({order})",
            ),
            en=(
                "Refund request for order {order}",
                "Still waiting for my refund",
                "How long does a refund take?",
                "Returned the item, no refund yet",
            ),
        ),
        bodies=T(
            ko=(
                "안녕하세요. {date}에 주문한 {order} 건을 취소했는데 아직 환불이 안 됐습니다. "
                "결제 금액은 {amount}이고 카드로 결제했어요. 언제 환불되는지 알려주세요.",
                "반품 택배를 보낸 지 일주일이 넘었는데 환불 소식이 없네요. 주문번호 {order}, "
                "금액 {amount}입니다. 확인 부탁드립니다.",
                "사이즈가 안 맞아서 환불하고 싶습니다. 아직 택 제거 안 했고 박스도 그대로 있어요.",
            ),
            en=(
                "Hi, I cancelled order {order} on {date} but the refund of {amount} has not "
                "reached my card yet. Could you check what is going on?",
                "I sent the return back more than a week ago (order {order}). When will I get "
                "my money back?",
                "The jacket doesn't fit. I'd like a refund rather than an exchange, please.",
            ),
        ),
        asks=T(
            ko=(
                "확인을 위해 반품 송장번호와 결제하신 카드사를 알려주시겠어요?",
                "주문하신 계정의 이메일 주소와 환불받으실 계좌 정보를 회신 부탁드립니다.",
            ),
            en=(
                "Could you send me the return tracking number and which card you paid with?",
                "Please reply with the e-mail address on the order so I can find the payment.",
            ),
        ),
        answers=T(
            ko=(
                "반품 송장번호는 {tracking}이고 신한카드로 결제했어요.",
                "주문할 때 쓴 이메일은 이 메일 주소 맞습니다. 확인 부탁드려요.",
            ),
            en=(
                "Tracking number is {tracking}, paid by Visa ending {card}.",
                "It's the same address I'm writing from. Thanks.",
            ),
        ),
        solutions=T(
            ko=(
                "{order} 건 {amount} 환불 처리를 완료했습니다. 카드사 사정에 따라 영업일 기준 "
                "3~5일 안에 승인 취소가 반영됩니다.",
                "반품 상품 입고가 확인되어 오늘 환불을 진행했습니다. 카드 명세서에서 취소 내역을 "
                "확인하실 수 있습니다.",
            ),
            en=(
                "I've refunded {amount} for order {order}. Depending on your bank it shows up "
                "within 3-5 business days.",
                "Your return arrived at our warehouse and the refund has been issued today.",
            ),
        ),
        reopens=T(
            ko=("일주일이 지났는데도 카드 취소 내역이 안 보여요. 다시 확인해 주세요.",),
            en=("It's been a week and I still don't see the refund on my statement.",),
        ),
        notes=T(
            ko=("물류센터 입고 확인 완료. 환불 승인 요청함.", "PG사 취소 승인번호 확인 필요."),
            en=(
                "Warehouse confirmed the return. Refund approved.",
                "Need the PG cancellation reference.",
            ),
        ),
        holds=T(
            ko=("물류센터에 반품 입고 확인 요청. 회신 대기 중.",),
            en=("Asked the warehouse to confirm the return; waiting on them.",),
        ),
        one_touch=0.35,
    ),
    Topic(
        key="double_charge",
        team="billing",
        weight=6,
        pay_share=0.5,
        tags=("card_payment", "double_charge"),
        subjects=T(
            ko=("결제가 두 번 됐어요", "같은 금액이 중복 결제되었습니다", "이중 결제 취소 요청"),
            en=(
                "I was charged twice",
                "Duplicate charge on my card",
                "Double payment for one order",
            ),
        ),
        bodies=T(
            ko=(
                "결제 버튼을 한 번 눌렀는데 카드 문자가 두 번 왔습니다. {amount}씩 두 번 "
                "빠져나갔어요. 하나는 취소해 주세요.",
                "{date}에 결제한 건이 중복으로 청구됐습니다. 카드 끝자리 {card}입니다.",
            ),
            en=(
                "I clicked pay once but got two card notifications for {amount} each. Please "
                "cancel one of them.",
                "My card ending {card} shows the same charge twice on {date}.",
            ),
        ),
        asks=T(
            ko=("카드 승인 문자 두 건의 캡처 화면을 보내주시면 바로 확인하겠습니다.",),
            en=("Could you send a screenshot of both card notifications?",),
        ),
        answers=T(
            ko=("캡처 첨부합니다. 승인 시간이 1분 차이예요.",),
            en=("Screenshot attached, the two charges are one minute apart.",),
        ),
        solutions=T(
            ko=(
                "중복 승인된 {amount} 1건을 취소했습니다. 나머지 한 건만 정상 결제로 남습니다.",
                "확인해 보니 한 건은 승인 후 자동 취소된 건이라 실제 청구되지 않습니다. "
                "2~3일 안에 카드 내역에서 사라집니다.",
            ),
            en=(
                "I cancelled the duplicate charge of {amount}; only one payment remains.",
                "One of the two was an authorisation that was voided automatically; it will "
                "disappear from your statement within 2-3 days.",
            ),
        ),
        reopens=T(
            ko=("취소됐다고 하셨는데 카드사에서는 아직 두 건 다 청구된다고 합니다.",),
            en=("My bank says both charges are still there.",),
        ),
        notes=T(
            ko=("PG 관리자 화면에서 동일 주문 승인 2건 확인.",),
            en=("Two approvals for the same order in the PG console.",),
        ),
        holds=T(
            ko=("PG사에 승인 취소 요청. 회신 대기.",),
            en=("Cancellation requested from the payment gateway; waiting for them.",),
        ),
        type="incident",
        high_share=0.4,
        urgent_share=0.1,
        one_touch=0.2,
    ),
    Topic(
        key="card_declined",
        team="billing",
        weight=7,
        pay_share=0.7,
        tags=("card_payment",),
        subjects=T(
            ko=(
                "카드 결제가 계속 실패합니다",
                "결제 오류 코드 E-402가 떠요",
                "해외 카드로 결제가 안 돼요",
            ),
            en=(
                "Card payment declined",
                "Payment fails with error E-402",
                "Can't pay with my foreign card",
            ),
        ),
        bodies=T(
            ko=(
                "카드 한도도 충분한데 결제하면 '승인 거절'이라고 나옵니다. 다른 쇼핑몰에서는 "
                "잘 되는 카드예요.",
                "Doum Pay로 결제하려고 하면 오류 코드 E-402가 뜨고 넘어가지 않아요.",
            ),
            en=(
                "My card works everywhere else but your checkout says 'declined'.",
                "I get error E-402 every time I try to pay with Doum Pay.",
            ),
        ),
        asks=T(
            ko=("결제 시도하신 시간과 카드사, 오류 화면 캡처를 보내주시겠어요?",),
            en=("What time did you try, and which card issuer is it? A screenshot helps.",),
        ),
        answers=T(
            ko=("오늘 오후 2시쯤 시도했고 국민카드입니다. 캡처 보냅니다.",),
            en=("Around 2pm today, it's a Mastercard from my US bank.",),
        ),
        solutions=T(
            ko=(
                "카드사에서 온라인 결제가 차단된 상태로 확인됩니다. 카드사 앱에서 '온라인 결제 "
                "허용'을 켜신 뒤 다시 시도해 주세요.",
                "해외 발급 카드는 3D Secure 인증이 필요합니다. 결제 화면에서 '해외 카드'를 "
                "선택하시면 결제가 진행됩니다.",
            ),
            en=(
                "Your issuer blocks online payments on this card. Turn on online payments in "
                "your bank's app and try again.",
                "Cards issued abroad need 3D Secure. Choose 'International card' at checkout "
                "and it will go through.",
            ),
        ),
        reopens=T(
            ko=("말씀하신 대로 했는데 여전히 같은 오류가 납니다.",),
            en=("Did that, still the same error.",),
        ),
        notes=T(ko=("PG 로그상 발급사 거절 코드 05.",), en=("Issuer declined with code 05.",)),
        holds=T(
            ko=("PG사 기술지원에 승인 로그 확인 요청함.",),
            en=("Asked PG tech support for the authorisation log.",),
        ),
        type="incident",
        high_share=0.25,
        one_touch=0.35,
    ),
    Topic(
        key="receipt",
        team="billing",
        weight=5,
        pay_share=0.3,
        tags=("receipt",),
        subjects=T(
            ko=("세금계산서 발행 요청", "현금영수증 발급해 주세요", "영수증 재발행 부탁드립니다"),
            en=("Need a VAT invoice", "Receipt for my order {order}", "Invoice with company name"),
        ),
        bodies=T(
            ko=(
                "회사 경비 처리용으로 {order} 건 세금계산서가 필요합니다. 사업자등록번호는 "
                "따로 보내드릴게요.",
                "지난달 주문 건들 현금영수증 발급이 안 된 것 같아요. 확인 부탁드립니다.",
            ),
            en=(
                "Could you issue a VAT invoice for order {order}? I need it for expenses.",
                "I need a receipt showing our company name for order {order}.",
            ),
        ),
        asks=T(
            ko=("사업자등록증 사본과 세금계산서를 받으실 이메일 주소를 보내주세요.",),
            en=("Please send the company registration number and billing address.",),
        ),
        answers=T(
            ko=("사업자등록증 첨부합니다. 이 메일로 받으면 됩니다.",),
            en=("Registration number and address attached.",),
        ),
        solutions=T(
            ko=("세금계산서를 발행해 메일로 보내드렸습니다. 홈택스에서도 조회하실 수 있습니다.",),
            en=("The invoice has been issued and e-mailed to you.",),
        ),
        reopens=T(
            ko=("받은 세금계산서에 상호가 잘못 나와 있어요.",),
            en=("The company name on the invoice is wrong.",),
        ),
        notes=T(ko=("회계팀에 발행 요청 완료.",), en=("Finance asked to issue it.",)),
        holds=T(
            ko=("회계팀 발행 대기 (월말 마감).",),
            en=("Waiting on finance (month-end close).",),
        ),
        one_touch=0.5,
    ),
    Topic(
        key="membership",
        team="billing",
        weight=4,
        pay_share=0.2,
        tags=("membership",),
        subjects=T(
            ko=("멤버십 해지하고 싶어요", "멤버십 자동결제 취소", "멤버십 요금이 또 결제됐어요"),
            en=("Cancel my membership", "Stop automatic renewal", "Charged for membership again"),
        ),
        bodies=T(
            ko=(
                "도움 플러스 멤버십을 해지하려는데 앱에서 메뉴를 못 찾겠어요. 이번 달 결제된 "
                "{amount}도 환불 가능한가요?",
            ),
            en=(
                "I want to cancel Doum Plus. I can't find the option in the app, and I'd like "
                "this month's {amount} back if possible.",
            ),
        ),
        asks=T(
            ko=("이번 달 멤버십 혜택(무료배송 등)을 사용하셨는지 확인 부탁드립니다.",),
            en=("Have you used any membership benefit (free delivery) this month?",),
        ),
        answers=T(
            ko=("아니요, 이번 달에는 주문 안 했어요.",), en=("No, I haven't ordered anything.",)
        ),
        solutions=T(
            ko=("멤버십 해지와 이번 달 요금 {amount} 환불을 완료했습니다.",),
            en=("Your membership is cancelled and this month's {amount} refunded.",),
        ),
        reopens=T(
            ko=("해지했는데 또 결제 문자가 왔어요.",), en=("I was charged again after cancelling.",)
        ),
        notes=T(
            ko=("혜택 미사용 확인, 전액 환불 가능.",), en=("No benefits used; full refund OK.",)
        ),
        holds=T(
            ko=("결제팀 자동결제 해지 확인 대기.",), en=("Waiting on payments to stop billing.",)
        ),
        one_touch=0.45,
    ),
    Topic(
        key="delivery_delay",
        team="delivery",
        weight=16,
        pay_share=0.0,
        tags=("delivery", "delay"),
        subjects=T(
            ko=(
                "배송이 아직 안 왔어요",
                "배송 조회가 며칠째 그대로예요",
                "주문한 지 일주일 됐는데 언제 오나요?",
                "배송 지연 문의 ({order})",
            ),
            en=(
                "Where is my order?",
                "Tracking hasn't updated for days",
                "Order {order} still not delivered",
                "Delivery is late",
            ),
        ),
        bodies=T(
            ko=(
                "{date}에 주문했는데 아직 배송 중이라고만 나와요. 송장번호 {tracking} "
                "({courier}) 조회하면 3일째 같은 곳에 있어요.",
                "선물용으로 주문한 건데 이번 주 안에 받을 수 있을까요? 주문번호 {order}입니다.",
            ),
            en=(
                "I ordered on {date} and tracking {tracking} ({courier}) hasn't moved in three "
                "days.",
                "This is a birthday present - will order {order} arrive this week?",
            ),
        ),
        asks=T(
            ko=("택배사에 확인 요청드렸습니다. 혹시 부재 시 맡길 장소가 있으실까요?",),
            en=("I've asked the courier. Is there a safe place they can leave it if you're out?",),
        ),
        answers=T(
            ko=("경비실에 맡겨 주시면 됩니다.", "문 앞에 두고 가셔도 돼요."),
            en=("Leave it with the concierge please.", "Front door is fine."),
        ),
        solutions=T(
            ko=(
                "{courier} 확인 결과 물량 증가로 하루 지연되었고 오늘 배송 출발했습니다. "
                "오후 중 도착 예정입니다.",
                "배송 완료로 확인됩니다. 혹시 못 받으셨다면 말씀해 주세요.",
            ),
            en=(
                "{courier} had a backlog; your parcel left the hub today and should arrive "
                "this afternoon.",
                "Tracking shows it was delivered. Let me know if you can't find it.",
            ),
        ),
        reopens=T(
            ko=("배송 완료라고 나오는데 물건을 못 받았어요.",),
            en=("It says delivered but there's nothing here.",),
        ),
        notes=T(
            ko=("{courier} 담당 기사님 연락 완료, 내일 오전 재배송.",),
            en=("Spoke to {courier}; redelivery tomorrow morning.",),
        ),
        holds=T(
            ko=("{courier} 분실 조사 요청. 회신까지 2~3일 소요.",),
            en=("Lost-parcel investigation opened with {courier}; 2-3 days.",),
        ),
        one_touch=0.45,
    ),
    Topic(
        key="damaged",
        team="delivery",
        weight=6,
        pay_share=0.0,
        tags=("delivery", "damaged"),
        subjects=T(
            ko=("상품이 파손되어 왔어요", "박스가 찢어져서 왔습니다", "유리컵이 깨져서 도착했어요"),
            en=("Item arrived damaged", "Broken on arrival", "Box was crushed, product damaged"),
        ),
        bodies=T(
            ko=(
                "오늘 받은 상품({order})이 깨져 있었어요. 사진 찍어 두었습니다. 교환 원해요.",
                "포장이 부실해서 그런지 모서리가 다 찌그러져 왔네요. 환불이나 교환 부탁드려요.",
            ),
            en=(
                "Order {order} arrived today and the item is cracked. I have photos.",
                "The box was crushed and the product inside is dented. Exchange please.",
            ),
        ),
        asks=T(
            ko=("파손 부위 사진과 송장이 보이는 박스 사진을 보내주시겠어요?",),
            en=("Could you send photos of the damage and of the shipping label?",),
        ),
        answers=T(ko=("사진 세 장 보냅니다.",), en=("Photos attached.",)),
        solutions=T(
            ko=(
                "불편을 드려 죄송합니다. 새 상품을 오늘 발송했고 파손 상품은 회수 기사님이 "
                "방문해 가져갈 예정입니다.",
            ),
            en=(
                "Sorry about that. A replacement ships today and the courier will collect "
                "the damaged one.",
            ),
        ),
        reopens=T(
            ko=("교환 상품도 똑같이 깨져서 왔어요.",), en=("The replacement is broken too.",)
        ),
        notes=T(
            ko=("포장 불량 건으로 물류센터에 피드백 전달.",),
            en=("Packaging feedback sent to the warehouse.",),
        ),
        holds=T(ko=("판매자 재고 확인 중.",), en=("Waiting for the seller to confirm stock.",)),
        high_share=0.2,
        one_touch=0.25,
    ),
    Topic(
        key="wrong_item",
        team="delivery",
        weight=4,
        pay_share=0.0,
        tags=("delivery", "wrong_item"),
        subjects=T(
            ko=("다른 상품이 배송됐어요", "주문한 색상이 아니에요", "구성품이 빠져 있어요"),
            en=("Received the wrong item", "Wrong colour delivered", "Missing parts in my order"),
        ),
        bodies=T(
            ko=(
                "블랙을 주문했는데 화이트가 왔습니다. 주문번호 {order}입니다.",
                "세트로 주문했는데 충전 케이블이 없어요.",
            ),
            en=(
                "I ordered black and got white (order {order}).",
                "The set I ordered came without the charging cable.",
            ),
        ),
        asks=T(
            ko=("받으신 상품 사진을 보내주시면 바로 교환 접수하겠습니다.",),
            en=("Send me a photo of what you received and I'll start the exchange.",),
        ),
        answers=T(ko=("사진 보냅니다.",), en=("Here's the photo.",)),
        solutions=T(
            ko=("교환 접수 완료했습니다. 맞는 상품을 내일 발송하고 잘못 간 상품은 회수합니다.",),
            en=("Exchange booked: the right item ships tomorrow and we'll collect the wrong one.",),
        ),
        reopens=T(
            ko=("회수 기사님이 안 오셨어요.",), en=("Nobody came to pick up the wrong item.",)
        ),
        notes=T(
            ko=("출고 검수 오류, 물류센터 통보.",), en=("Picking error reported to warehouse.",)
        ),
        holds=T(ko=("판매자 재고 확인 대기.",), en=("Waiting for seller stock check.",)),
        one_touch=0.4,
    ),
    Topic(
        key="address_change",
        team="delivery",
        weight=4,
        pay_share=0.0,
        tags=("delivery", "address_change"),
        subjects=T(
            ko=("배송지 변경 가능할까요?", "주소를 잘못 입력했어요", "배송지 수정 요청"),
            en=(
                "Change shipping address",
                "I entered the wrong address",
                "Update delivery address",
            ),
        ),
        bodies=T(
            ko=("방금 주문한 {order} 건 배송지를 회사 주소로 바꾸고 싶어요. 아직 출고 전이죠?",),
            en=("Can I change the address on order {order}? I just placed it.",),
        ),
        asks=T(ko=("변경하실 주소를 정확히 알려주세요.",), en=("What's the new address?",)),
        answers=T(
            ko=("서울시 중구 세종대로 110, 3층으로 부탁드립니다.",),
            en=("Please ship to 110 Sejong-daero, 3rd floor, Jung-gu, Seoul.",),
        ),
        solutions=T(
            ko=("출고 전이라 배송지 변경을 완료했습니다.",),
            en=("Done - the order hadn't shipped yet, the address is updated.",),
        ),
        reopens=T(
            ko=("변경 전 주소로 배송 출발했다고 나와요.",), en=("Tracking shows the old address.",)
        ),
        notes=T(ko=("출고 전 확인, 주소 변경 처리.",), en=("Not shipped yet, address changed.",)),
        holds=T(
            ko=("택배사 주소 변경 요청 처리 대기.",), en=("Waiting on the courier to reroute.",)
        ),
        one_touch=0.6,
    ),
    Topic(
        key="login",
        team="technical",
        weight=10,
        pay_share=0.35,
        tags=("login",),
        subjects=T(
            ko=(
                "로그인이 안 돼요",
                "비밀번호를 맞게 입력해도 로그인 실패",
                "계정이 잠겼다고 나옵니다",
            ),
            en=("Can't log in", "Account locked", "Login keeps failing with the right password"),
        ),
        bodies=T(
            ko=(
                "비밀번호 재설정까지 했는데 계속 '아이디 또는 비밀번호가 올바르지 않습니다'라고 "
                "나옵니다. {device} 앱에서도, PC에서도 안 돼요.",
                "로그인을 몇 번 틀렸더니 계정이 잠겼다고 합니다. 풀어주세요.",
            ),
            en=(
                "I reset my password and it still says the password is wrong, both in the app "
                "on my {device} and on the website.",
                "I mistyped my password a few times and now my account is locked.",
            ),
        ),
        asks=T(
            ko=("가입하신 이메일 주소와 마지막으로 로그인하신 기기를 알려주세요.",),
            en=("Which e-mail did you sign up with, and when did you last sign in?",),
        ),
        answers=T(
            ko=("이 메일 주소로 가입했고 지난주까지는 잘 됐어요.",),
            en=("This address; it worked fine last week.",),
        ),
        solutions=T(
            ko=(
                "계정 잠금을 해제했습니다. 비밀번호 재설정 링크를 다시 보내드렸으니 새 "
                "비밀번호로 로그인해 주세요.",
                "카카오 간편 로그인으로 가입된 계정이라 이메일 로그인이 안 되었습니다. "
                "'카카오로 로그인'을 눌러 주세요.",
            ),
            en=(
                "I've unlocked your account and sent a fresh reset link.",
                "Your account was created with Kakao sign-in, so use 'Continue with Kakao' "
                "instead of the password form.",
            ),
        ),
        reopens=T(ko=("다시 잠겼어요.",), en=("Locked again.",)),
        notes=T(
            ko=("인증 로그상 5회 실패 후 잠금. 해제 처리.",),
            en=("Locked after 5 failed attempts; unlocked.",),
        ),
        holds=T(
            ko=("개발팀 인증 서버 확인 요청.",),
            en=("Asked engineering to check the auth service.",),
        ),
        high_share=0.2,
        one_touch=0.45,
    ),
    Topic(
        key="otp",
        team="technical",
        weight=5,
        pay_share=0.6,
        tags=("login", "otp"),
        subjects=T(
            ko=(
                "인증번호 문자가 안 와요",
                "본인인증이 계속 실패합니다",
                "비밀번호 재설정 메일이 안 와요",
            ),
            en=(
                "Verification code never arrives",
                "Password reset e-mail not received",
                "SMS code not coming",
            ),
        ),
        bodies=T(
            ko=("휴대폰 인증번호를 요청해도 문자가 안 옵니다. 스팸함에도 없어요.",),
            en=("I request the SMS code but nothing arrives. Not in spam either.",),
        ),
        asks=T(
            ko=("통신사와 인증번호를 요청하신 시간을 알려주시겠어요?",),
            en=("Which mobile carrier are you on, and roughly when did you request the code?",),
        ),
        answers=T(ko=("SKT 쓰고 있고 10분 전에 요청했어요.",), en=("KT, about ten minutes ago.",)),
        solutions=T(
            ko=("통신사 스팸 차단 서비스에 막혀 있었습니다. 차단 해제 후 다시 요청해 주세요.",),
            en=("Your carrier's spam filter was blocking our sender; it's whitelisted now.",),
        ),
        reopens=T(ko=("여전히 안 와요.",), en=("Still nothing.",)),
        notes=T(
            ko=("문자 발송 대행사 로그 확인: 통신사 차단.",), en=("SMS vendor log: carrier block.",)
        ),
        holds=T(ko=("문자 발송 대행사 확인 대기.",), en=("Waiting on the SMS vendor.",)),
        one_touch=0.4,
    ),
    Topic(
        key="app_crash",
        team="technical",
        weight=7,
        pay_share=0.3,
        tags=("app_crash",),
        subjects=T(
            ko=(
                "앱이 계속 꺼져요",
                "업데이트 후 앱 실행이 안 됩니다",
                "결제 화면에서 앱이 종료돼요",
            ),
            en=(
                "App crashes on startup",
                "App closes when I open checkout",
                "App won't open after the update",
            ),
        ),
        bodies=T(
            ko=(
                "{device}에서 {version} 버전으로 업데이트한 뒤로 앱을 켜자마자 꺼집니다. "
                "삭제 후 재설치도 해봤어요.",
                "장바구니에서 결제하기를 누르면 앱이 그냥 종료됩니다.",
            ),
            en=(
                "Since updating to {version} the app closes right after launch on my {device}. "
                "Reinstalling didn't help.",
                "Every time I tap checkout, the app just closes.",
            ),
        ),
        asks=T(
            ko=("앱 설정 > 정보에서 버전과 기기 OS 버전을 알려주시겠어요?",),
            en=("Which OS version is your phone on? Settings > About shows it.",),
        ),
        answers=T(ko=("안드로이드 14, 앱은 {version}입니다.",), en=("Android 14, app {version}.",)),
        solutions=T(
            ko=(
                "{version} 버전의 오류로 확인되어 수정 버전이 배포되었습니다. 스토어에서 "
                "업데이트 후 이용해 주세요.",
                "앱 캐시를 삭제(설정 > 애플리케이션 > 저장공간 > 캐시 삭제)하시면 정상 실행됩니다.",
            ),
            en=(
                "This was a bug in {version}; the fix is live - please update from the store.",
                "Clearing the app cache (Settings > Apps > Storage > Clear cache) fixes it.",
            ),
        ),
        reopens=T(ko=("업데이트했는데 또 꺼져요.",), en=("Updated, still crashing.",)),
        notes=T(
            ko=("크래시 로그 개발팀 전달 (JIRA MOB-1432).",),
            en=("Crash log forwarded to mobile team (MOB-1432).",),
        ),
        holds=T(
            ko=("개발팀 수정 배포 대기.",),
            en=("Waiting for the mobile team's fix release.",),
        ),
        type="incident",
        high_share=0.3,
        one_touch=0.25,
    ),
    Topic(
        key="pay_card",
        team="technical",
        weight=5,
        pay_share=1.0,
        tags=("doum_pay", "card_registration"),
        subjects=T(
            ko=(
                "Doum Pay 카드 등록 오류",
                "카드 등록하면 '유효하지 않은 카드'라고 나와요",
                "체크카드 등록이 안 됩니다",
            ),
            en=(
                "Can't add my card to Doum Pay",
                "Card registration says 'invalid card'",
                "Debit card won't register",
            ),
        ),
        bodies=T(
            ko=(
                "Doum Pay에 카드 등록하려는데 끝자리 {card} 카드가 계속 유효하지 않다고 나옵니다.",
            ),
            en=("Doum Pay keeps telling me my card ending {card} is invalid.",),
        ),
        asks=T(
            ko=("카드 명의자와 Doum Pay 가입자 명의가 같은지 확인 부탁드립니다.",),
            en=("Is the card in the same name as your Doum Pay account?",),
        ),
        answers=T(ko=("네, 제 명의 카드입니다.",), en=("Yes, it's my own card.",)),
        solutions=T(
            ko=("해당 카드사 점검 시간이었습니다. 지금 다시 등록하시면 됩니다.",),
            en=("The issuer was in a maintenance window; please try again now.",),
        ),
        reopens=T(ko=("지금도 안 돼요.",), en=("Still failing.",)),
        notes=T(ko=("카드사 점검 공지 확인.",), en=("Issuer maintenance confirmed.",)),
        holds=T(
            ko=("카드사 BIN 등록 요청, 회신 대기.",),
            en=("BIN registration requested from issuer.",),
        ),
        one_touch=0.5,
    ),
    Topic(
        key="account",
        team="technical",
        weight=4,
        pay_share=0.3,
        tags=("account",),
        subjects=T(
            ko=("회원 탈퇴 요청", "개인정보 변경이 안 돼요", "휴대폰 번호 변경하고 싶어요"),
            en=("Delete my account", "Can't change my phone number", "Update my personal details"),
        ),
        bodies=T(
            ko=("회원 탈퇴하고 싶은데 앱에서 탈퇴 버튼이 비활성화돼 있어요.",),
            en=("The delete-account button in the app is greyed out.",),
        ),
        asks=T(
            ko=("진행 중인 주문이나 Doum Pay 잔액이 남아 있는지 확인 부탁드립니다.",),
            en=("Do you have any open orders or Doum Pay balance left?",),
        ),
        answers=T(ko=("잔액 0원이고 주문도 없어요.",), en=("Zero balance, no open orders.",)),
        solutions=T(
            ko=("요청하신 대로 처리했습니다. 관련 법령에 따라 거래 기록은 5년간 보관됩니다.",),
            en=("Done. Transaction records are kept for five years as the law requires.",),
        ),
        reopens=T(ko=("아직 로그인이 되는데요?",), en=("I can still sign in?",)),
        notes=T(ko=("본인 확인 완료.",), en=("Identity verified.",)),
        holds=T(ko=("개인정보팀 확인 대기.",), en=("Waiting on the privacy team.",)),
        one_touch=0.4,
    ),
)

SPAM = Texts(
    ko=(
        "[광고] 상위노출 100% 보장! 지금 바로 상담하세요",
        "[광고] 저금리 대출 한도 조회",
        "축하합니다! 경품에 당첨되셨습니다",
    ),
    en=(
        "Boost your sales by 300% - partnership opportunity",
        "You have won a $500 gift card",
        "SEO services for doum.example",
    ),
)
SPAM_BODY = Texts(
    ko=("지금 클릭하시면 특별 혜택을 드립니다. 수신거부는 회신으로.",),
    en=("Click here to claim your reward before it expires. Reply STOP to unsubscribe.",),
)
SPAM_SENDERS: tuple[tuple[str, str], ...] = (
    ("Growth Partners", "offers@growth-partners.example"),
    ("마케팅센터", "ad@marketing-center.example"),
    ("Prize Desk", "winner@prize-desk.example"),
    ("SEO Masters", "hello@seo-masters.example"),
)

PROBLEM = {
    "subject_ko": "앱 {version} 업데이트 후 안드로이드에서 실행 직후 강제 종료",
    "body_ko": (
        "Android 14 기기에서 {version} 업데이트 후 앱 실행 직후 종료된다는 문의가 급증하고 "
        "있습니다. 관련 문의는 이 문제 티켓에 연결해 주세요. 개발팀 이슈: MOB-1432."
    ),
    "fixed_ko": "핫픽스가 스토어에 배포되었습니다. 연결된 문의에 업데이트 안내 부탁드립니다.",
}

TASK = Texts(
    ko=("콜백 예정: {name} 고객님 처리 결과 안내", "{name} 고객님 교환 상품 입고 후 연락"),
    en=("Call back {name} with the outcome", "Follow up with {name} once stock arrives"),
)
TASK_BODY = Texts(
    ko=("고객님 요청으로 처리 결과를 전화로 안내하기로 함.",),
    en=("Customer asked for a phone call once this is sorted.",),
)
TASK_DONE = Texts(
    ko=("고객님께 전화로 안내 완료.",),
    en=("Called the customer; all sorted.",),
)

PHONE_ASKED = Texts(ko=("[전화 상담] 고객 문의: ",), en=("[Phone call] Customer asked: ",))
PHONE_TOLD = Texts(ko=("안내 내용: ",), en=("What I told them: ",))
REDO = Texts(
    ko=(
        "다시 확인해 보니 처리가 제대로 반영되지 않았습니다. 불편을 드려 죄송합니다.",
        "추가로 확인해 보았습니다. 번거롭게 해드려 죄송합니다.",
    ),
    en=(
        "I've checked again and the first fix hadn't gone through - sorry for the trouble.",
        "Thanks for letting us know, I've looked into it again.",
    ),
)
MISROUTE_NOTES = Texts(
    ko=("{team} 문의라 {team} 팀으로 넘깁니다.",),
    en=("This is a {team} question - handing over to {team}.",),
)
MERGE_NOTES = Texts(
    ko=("같은 고객님의 같은 문의라 병합합니다.",),
    en=("Same request from the same customer; merging.",),
)
QA_NOTES = Texts(
    ko=(
        "QA 검토: 첫 답변에서 처리 기한을 안내한 점 좋았습니다. 마무리 인사 누락.",
        "QA 검토: 환불 정책 안내가 정확함. 공감 표현을 조금 더 하면 좋겠습니다.",
        "QA 검토: 답변 속도와 정확도 모두 우수.",
    ),
    en=(
        "QA review: clear next steps, good tone. Missed confirming the order number.",
        "QA review: accurate policy, could show more empathy at the start.",
        "QA review: fast and accurate, nothing to add.",
    ),
)
NO_REPLY_SOLVE = Texts(
    ko=(
        "회신이 없으셔서 문의를 해결됨으로 변경합니다. 추가로 도움이 필요하시면 이 메일에 "
        "답장해 주세요.",
    ),
    en=(
        "As we haven't heard back, I'm marking this as solved. Just reply if you still need help.",
    ),
)
HOLD_UPDATE = Texts(
    ko=("확인이 늦어져 죄송합니다. 담당 부서 회신을 받았습니다.",),
    en=("Sorry for the wait - I've heard back from the team in charge.",),
)
CHASERS = Texts(
    ko=("혹시 진행 상황 알 수 있을까요?", "답변 기다리고 있습니다."),
    en=("Any update on this?", "Still waiting to hear back."),
)


# Comments customers leave with a CSAT answer: (satisfied?, language) -> comments.
SURVEY_COMMENTS: dict[tuple[bool, str], tuple[str, ...]] = {
    (True, "en"): (
        "Quick and friendly answer, thank you!",
        "The agent explained the refund clearly.",
        "Solved on the first reply, great service.",
        "Very helpful, my password reset worked right away.",
        "Thanks for sorting out the delivery so fast.",
    ),
    (False, "en"): (
        "The refund took far too long and I had to ask twice.",
        "Nobody answered for days. Very slow support.",
        "My delivery is still missing and the answer did not help.",
        "The answer was copied from the help center and did not solve my problem.",
        "I was passed between teams three times before anyone helped.",
        "Still waiting for my refund. Slow and frustrating.",
    ),
    (True, "ko"): (
        "빠르고 친절하게 답변해 주셔서 감사합니다.",
        "환불 절차를 자세히 설명해 주셔서 좋았어요.",
        "한 번에 해결되어서 만족합니다.",
        "배송 문제를 금방 해결해 주셨어요. 감사합니다!",
        "상담원분이 정말 친절하셨어요.",
    ),
    (False, "ko"): (
        "환불이 너무 늦어요. 두 번이나 문의했습니다.",
        "며칠 동안 답변이 없었어요. 응답이 너무 느립니다.",
        "배송이 아직도 안 왔는데 답변은 도움이 안 됐어요.",
        "같은 답변만 반복해서 문제가 해결되지 않았습니다.",
        "여러 팀으로 넘겨지기만 하고 해결이 안 됐어요.",
        "환불 처리가 계속 지연되고 있어서 불편합니다.",
    ),
}

# What a team lead wrote when closing the loop with an unhappy customer.
FOLLOW_UP_NOTES: tuple[str, ...] = (
    "Called the customer, apologised and confirmed the refund date.",
    "Mailed the customer with the tracking number; they are happy now.",
    "고객님께 전화드려 사과드리고 처리 일정을 안내했습니다.",
    "담당 상담원과 코칭 진행, 고객님께 보상 쿠폰 발송.",
)
