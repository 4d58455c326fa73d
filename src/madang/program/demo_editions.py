"""The two demo editions, built from the public facts of Seoul's 2021 and 2024 smart-city weeks.

People are named by their public role ("Mayor of Seoul"), never by private data; programme times
that the sources do not give are set plausibly within the published dates. Loading is idempotent:
every object has a stable UUID derived from its key, so re-running updates in place.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from i18nfield.strings import LazyI18nString

from madang.program import models
from madang.program.caching import bump_program_version
from madang.program.enums import EventMode, RoomKind, SessionKind, SessionStatus

NAMESPACE = uuid.UUID("6d2b8f3e-6a51-4c39-9c8e-2f1d8a0b5e71")
SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")


def _uid(*parts: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, "/".join(parts))


def _t(ko: str, en: str) -> LazyI18nString:
    return LazyI18nString({"ko": ko, "en": en})


@dataclass(frozen=True)
class PersonSpec:
    slug: str
    name: tuple[str, str]
    position: tuple[str, str]
    organisation: tuple[str, str]
    country: str
    city: tuple[str, str] | None = None
    bio: tuple[str, str] = ("", "")


@dataclass(frozen=True)
class SessionSpec:
    slug: str
    title: tuple[str, str]
    abstract: tuple[str, str]
    kind: str
    day: dt.date
    start: str
    minutes: int
    room: str
    track: str
    language: str = "ko"
    capacity: int | None = None
    people: list[tuple[str, str]] = field(default_factory=list)  # (person slug, role)


PEOPLE: list[PersonSpec] = [
    PersonSpec(
        "mayor-of-seoul",
        ("서울특별시장", "Mayor of Seoul"),
        ("시장", "Mayor"),
        ("서울특별시", "Seoul Metropolitan Government"),
        "KR",
        ("서울", "Seoul"),
    ),
    PersonSpec(
        "seoul-smart-city-policy-director",
        ("서울시 스마트도시정책관", "Director General for Smart City Policy, Seoul"),
        ("스마트도시정책관", "Director General for Smart City Policy"),
        ("서울특별시", "Seoul Metropolitan Government"),
        "KR",
        ("서울", "Seoul"),
    ),
    PersonSpec(
        "smartstudy-vice-president",
        ("스마트스터디 부사장", "Vice President, SmartStudy"),
        ("부사장", "Vice President"),
        ("스마트스터디", "SmartStudy"),
        "KR",
        bio=("'핑크퐁 아기상어' IP를 만든 기업", "The company behind the 'Pinkfong Baby Shark' IP"),
    ),
    PersonSpec(
        "deepbrain-ai-bd-head",
        ("딥브레인AI 사업개발실장", "Head of Business Development, DeepBrain AI"),
        ("사업개발실장", "Head of Business Development"),
        ("딥브레인AI", "DeepBrain AI"),
        "KR",
        bio=("AI 앵커 모델을 개발한 기업", "The company that developed an AI news-anchor model"),
    ),
    PersonSpec(
        "kangwon-metaverse-professor",
        (
            "강원대학교 교수, 『메타버스』 저자",
            "Professor, Kangwon National University; author of 'Metaverse'",
        ),
        ("교수", "Professor"),
        ("강원대학교", "Kangwon National University"),
        "KR",
    ),
    PersonSpec(
        "bain-partner",
        ("베인앤컴퍼니 파트너", "Partner, Bain & Company"),
        ("파트너", "Partner"),
        ("베인앤컴퍼니", "Bain & Company"),
        "KR",
    ),
    PersonSpec(
        "yonsei-professor",
        (
            "연세대학교 정보대학원 교수",
            "Professor, Yonsei University Graduate School of Information",
        ),
        ("교수", "Professor"),
        ("연세대학교", "Yonsei University"),
        "KR",
    ),
    PersonSpec(
        "scewc-curator",
        (
            "스마트시티 엑스포 월드 콩그레스 차석 큐레이터",
            "Deputy Curator, Smart City Expo World Congress",
        ),
        ("차석 큐레이터", "Deputy Curator"),
        ("스마트시티 엑스포 월드 콩그레스", "Smart City Expo World Congress"),
        "ES",
        ("바르셀로나", "Barcelona"),
    ),
    PersonSpec(
        "skku-phono-sapiens-professor",
        (
            "성균관대학교 교수, 『포노 사피엔스』 저자",
            "Professor, Sungkyunkwan University; author of 'Phono Sapiens'",
        ),
        ("교수", "Professor"),
        ("성균관대학교", "Sungkyunkwan University"),
        "KR",
    ),
    PersonSpec(
        "israel-city-representative",
        ("이스라엘 도시 대표", "City representative, Israel"),
        ("발표자", "Presenter"),
        ("이스라엘", "Israel"),
        "IL",
    ),
    PersonSpec(
        "singapore-representative",
        ("싱가포르 대표", "Representative, Singapore"),
        ("발표자", "Presenter"),
        ("싱가포르", "Singapore"),
        "SG",
        ("싱가포르", "Singapore"),
    ),
    PersonSpec(
        "los-angeles-representative",
        ("로스앤젤레스 대표", "Representative, Los Angeles"),
        ("발표자", "Presenter"),
        ("로스앤젤레스시", "City of Los Angeles"),
        "US",
        ("로스앤젤레스", "Los Angeles"),
    ),
    PersonSpec(
        "seoul-city-representative",
        ("서울시 대표", "Representative, Seoul"),
        ("발표자", "Presenter"),
        ("서울특별시", "Seoul Metropolitan Government"),
        "KR",
        ("서울", "Seoul"),
    ),
    PersonSpec(
        "mayor-of-riyadh",
        ("리야드 시장", "Mayor of Riyadh"),
        ("시장", "Mayor"),
        ("리야드시", "Riyadh Municipality"),
        "SA",
        ("리야드", "Riyadh"),
    ),
    PersonSpec(
        "mayor-of-kuala-lumpur",
        ("쿠알라룸푸르 시장", "Mayor of Kuala Lumpur"),
        ("시장", "Mayor"),
        ("쿠알라룸푸르시", "Kuala Lumpur City Hall"),
        "MY",
        ("쿠알라룸푸르", "Kuala Lumpur"),
    ),
    PersonSpec(
        "deputy-mayor-of-los-angeles",
        ("로스앤젤레스 부시장", "Deputy Mayor of Los Angeles"),
        ("부시장", "Deputy Mayor"),
        ("로스앤젤레스시", "City of Los Angeles"),
        "US",
        ("로스앤젤레스", "Los Angeles"),
    ),
]

D21 = [dt.date(2021, 10, d) for d in range(12, 20)]
SCW2021: list[SessionSpec] = [
    SessionSpec(
        "opening-seoul-smart-city-week",
        ("2021 서울 스마트시티 위크 개막", "Opening of Seoul Smart City Week 2021"),
        (
            "'비대면사회와 앞당겨진 미래'를 주제로 한 일주일의 온라인 공론장을 엽니다.",
            "Opens a week-long online forum on 'The non-contact society and the accelerated future'.",
        ),
        SessionKind.OPENING,
        D21[0],
        "10:00",
        30,
        "online-main",
        "forum",
    ),
    SessionSpec(
        "baby-shark-innovation",
        (
            "기업 혁신 강연: 아기상어가 세계로 간 길",
            "Corporate innovation lecture: how Baby Shark went global",
        ),
        (
            "전 세계 유튜브 조회수 1위 콘텐츠를 만든 기업의 혁신 사례.",
            "The innovation story of the company behind the most-viewed video on YouTube.",
        ),
        SessionKind.LECTURE,
        D21[0],
        "14:00",
        40,
        "online-main",
        "innovation",
        people=[("smartstudy-vice-president", "speaker")],
    ),
    SessionSpec(
        "ai-anchor",
        (
            "기업 혁신 강연: AI 앵커를 만들다",
            "Corporate innovation lecture: building an AI news anchor",
        ),
        (
            "AI 앵커 모델을 개발한 기업이 전하는 인공지능 혁신 사례.",
            "An AI company on how it built a virtual news anchor.",
        ),
        SessionKind.LECTURE,
        D21[0],
        "15:00",
        40,
        "online-main",
        "innovation",
        people=[("deepbrain-ai-bd-head", "speaker")],
    ),
    SessionSpec(
        "sebasi-metaverse",
        ("세바시 강연: 메타버스", "Sebasi talk: the metaverse"),
        (
            "『메타버스』 저자의 강연, 강연 플랫폼 세바시와 공동 기획.",
            "The author of 'Metaverse' speaks; co-produced with the lecture platform Sebasi.",
        ),
        SessionKind.LECTURE,
        D21[1],
        "14:00",
        30,
        "online-main",
        "sebasi",
        people=[("kangwon-metaverse-professor", "speaker")],
    ),
    SessionSpec(
        "non-contact-strategy",
        ("비대면 시대 기업 전략 분석", "Corporate strategy in the non-contact era"),
        (
            "비대면 시대에 기업들이 전략을 어떻게 바꾸고 있는지 분석합니다.",
            "An analysis of how companies change strategy in the non-contact era.",
        ),
        SessionKind.LECTURE,
        D21[1],
        "15:00",
        40,
        "online-main",
        "innovation",
        people=[("bain-partner", "speaker")],
    ),
    SessionSpec(
        "blockchain-made-easy",
        ("쉽게 듣는 블록체인", "Blockchain made easy"),
        (
            "일상에 스며든 블록체인을 누구나 이해할 수 있게 설명합니다.",
            "Blockchain, already part of daily life, explained for everyone.",
        ),
        SessionKind.LECTURE,
        D21[2],
        "14:00",
        30,
        "online-main",
        "everyone",
    ),
    SessionSpec(
        "5g-made-easy",
        ("쉽게 듣는 5G", "5G made easy"),
        (
            "5G가 무엇이고 도시 생활을 어떻게 바꾸는지 쉽게 설명합니다.",
            "What 5G is and how it changes city life, explained simply.",
        ),
        SessionKind.LECTURE,
        D21[2],
        "15:00",
        30,
        "online-main",
        "everyone",
    ),
    SessionSpec(
        "sebasi-trivia-smart-city",
        (
            "세바시 강연: 알아두면 쓸모 있는 스마트시티",
            "Sebasi talk: smart-city things worth knowing",
        ),
        (
            "세바시와 공동 기획한 교양 강연 형식의 스마트시티 이야기.",
            "A light, general-interest talk on smart cities, co-produced with Sebasi.",
        ),
        SessionKind.LECTURE,
        D21[3],
        "14:00",
        30,
        "online-main",
        "sebasi",
    ),
    SessionSpec(
        "ai-for-everyone",
        ("모두를 위한 인공지능", "Artificial intelligence for everyone"),
        (
            "4차산업 기술을 남녀노소 누구나 쉽게 접할 수 있도록 풀어 설명합니다.",
            "Fourth-industrial-revolution technology explained for people of every age.",
        ),
        SessionKind.LECTURE,
        D21[4],
        "14:00",
        30,
        "online-main",
        "everyone",
    ),
    SessionSpec(
        "seoul-digital-summit-story",
        ("서울디지털서밋이 걸어온 길", "The Seoul Digital Summit since 2016"),
        (
            "2016년부터 이어진 서울디지털서밋과 서울의 디지털 정책.",
            "Seoul's digital policy and the summit series held since 2016.",
        ),
        SessionKind.FORUM,
        D21[5],
        "14:00",
        40,
        "online-main",
        "forum",
        people=[("seoul-smart-city-policy-director", "speaker")],
    ),
    SessionSpec(
        "leaders-forum-opening",
        ("서울 스마트시티 리더스포럼 개회", "Seoul Smart City Leaders Forum: opening"),
        (
            "DDP 서울온 스튜디오에서 무관중으로 열리고 유튜브와 공식 누리집으로 중계됩니다.",
            "Held without a live audience at the DDP Seoul-On studio, streamed on YouTube and the official site.",
        ),
        SessionKind.OPENING,
        D21[7],
        "16:00",
        10,
        "seoul-on",
        "forum",
        people=[("seoul-smart-city-policy-director", "host")],
    ),
    SessionSpec(
        "smart-quarantine",
        (
            "도시세션: 팬데믹 시대의 새로운 도전, 스마트방역",
            "City session: new challenges of the pandemic era — smart quarantine",
        ),
        (
            "서울, 이스라엘, 싱가포르, 로스앤젤레스가 ICT 기반 코로나19 대응 사례를 발표하고 토론합니다.",
            "Seoul, Israel, Singapore and Los Angeles present and discuss ICT-based COVID-19 responses.",
        ),
        SessionKind.CITY_SESSION,
        D21[7],
        "16:10",
        50,
        "seoul-on",
        "forum",
        language="ko",
        people=[
            ("yonsei-professor", "moderator"),
            ("scewc-curator", "panellist"),
            ("seoul-city-representative", "speaker"),
            ("israel-city-representative", "speaker"),
            ("singapore-representative", "speaker"),
            ("los-angeles-representative", "speaker"),
        ],
    ),
    SessionSpec(
        "sebasi-digital-transformation",
        (
            "세바시 강연: 디지털 대전환, 서울의 미래",
            "Sebasi talk: digital transformation and Seoul's future",
        ),
        ("『포노 사피엔스』 저자의 강연.", "A talk by the author of 'Phono Sapiens'."),
        SessionKind.LECTURE,
        D21[7],
        "17:00",
        25,
        "seoul-on",
        "sebasi",
        people=[("skku-phono-sapiens-professor", "speaker")],
    ),
    SessionSpec(
        "metaverse-roundtable",
        (
            "메타버스 좌담회: 디지털 대전환과 서울의 미래",
            "Metaverse roundtable: digital transformation and Seoul's future",
        ),
        (
            "시장, 연사, 시민 관중이 모두 각자의 공간에서 아바타로 접속해 서울비전 2030과 스마트시티를 이야기합니다. 실사 느낌의 3D 회의실에서 열리는 시범 서비스입니다.",
            "The mayor, the speakers and citizens all join as avatars from their own places to talk about Seoul Vision 2030 and the smart city, in a realistic 3D conference room piloted with an IT services company.",
        ),
        SessionKind.ROUNDTABLE,
        D21[7],
        "17:30",
        50,
        "metaverse",
        "forum",
        people=[
            ("mayor-of-seoul", "host"),
            ("skku-phono-sapiens-professor", "panellist"),
            ("kangwon-metaverse-professor", "panellist"),
        ],
    ),
]

D24 = [dt.date(2024, 10, d) for d in (10, 11, 12)]
SLW2024: list[SessionSpec] = [
    SessionSpec(
        "opening-ceremony",
        ("개막식", "Opening ceremony"),
        (
            "사람 중심의 기술, 더 나은 삶으로 연결하다 — 스마트라이프위크의 막을 엽니다.",
            "Connecting to a better life with human-centred technology: Smart Life Week opens.",
        ),
        SessionKind.OPENING,
        D24[0],
        "10:00",
        30,
        "main-hall",
        "main",
        people=[("mayor-of-seoul", "host")],
    ),
    SessionSpec(
        "keynote-smile-in-smart-life",
        ("기조연설: 스마일 인 스마트라이프", "Keynote: Smile in Smart Life"),
        (
            "반려로봇, 서울런, 손목닥터9988, 자율주행버스로 본 서울의 스마트도시 비전. 누구도 기술에서 소외되지 않는 도시.",
            "Seoul's smart-city vision through companion robots, Seoul Learn, Sonmok Doctor 9988 and self-driving buses: a city where no one is left behind by technology.",
        ),
        SessionKind.KEYNOTE,
        D24[0],
        "10:30",
        30,
        "main-hall",
        "main",
        people=[("mayor-of-seoul", "keynote")],
    ),
    SessionSpec(
        "showroom-tour-future-city-life",
        (
            "쇼룸 투어: 첨단기술이 바꾸는 도시생활의 미래",
            "Showroom tour: the future of city life changed by advanced technology",
        ),
        (
            "해외 도시 시장단과 기업 참석자가 국내외 혁신기업 150여 곳의 쇼룸과 전시관을 둘러보고 스페이스 모빌리티를 시승합니다.",
            "Mayors and company delegates tour the showrooms of about 150 Korean and foreign companies, with a 'space mobility' test ride.",
        ),
        SessionKind.SHOWROOM_TOUR,
        D24[0],
        "11:10",
        80,
        "showroom",
        "showroom",
        capacity=20,
        people=[("mayor-of-seoul", "host")],
    ),
    SessionSpec(
        "mayors-forum-keynote",
        (
            "메이어스 포럼: 다 함께 만들어 가는 미래 스마트도시",
            "Mayors Forum: building the future smart city together",
        ),
        (
            "33개 국내외 도시 시장단이 참석합니다. 서울시장의 환영사와 리야드 시장의 기조연설.",
            "Mayors of 33 cities attend. Welcome by the Mayor of Seoul, keynote by the Mayor of Riyadh.",
        ),
        SessionKind.FORUM,
        D24[0],
        "14:00",
        45,
        "forum-room",
        "mayors",
        language="en",
        people=[("mayor-of-seoul", "host"), ("mayor-of-riyadh", "keynote")],
    ),
    SessionSpec(
        "mayors-forum-city-cases",
        ("메이어스 포럼: 도시 사례 발표", "Mayors Forum: city case talks"),
        (
            "쿠알라룸푸르와 로스앤젤레스가 스마트 정책과 사례를 발표합니다. 디지털 격차의 장애요인인 비용, 프라이버시, 디지털 리터러시를 다룹니다.",
            "Kuala Lumpur and Los Angeles present their smart policies and cases, including cost, privacy and digital literacy as barriers of the digital divide.",
        ),
        SessionKind.CITY_SESSION,
        D24[0],
        "14:50",
        50,
        "forum-room",
        "mayors",
        language="en",
        people=[("mayor-of-kuala-lumpur", "speaker"), ("deputy-mayor-of-los-angeles", "speaker")],
    ),
    SessionSpec(
        "mayors-forum-exchange",
        ("메이어스 포럼: 시장단 의견 교류", "Mayors Forum: open exchange among the mayors"),
        (
            "참석 도시의 시장단이 스마트도시 조성을 위한 의견을 나눕니다.",
            "The attending mayors exchange views on building smart cities.",
        ),
        SessionKind.ROUNDTABLE,
        D24[0],
        "15:45",
        60,
        "forum-room",
        "mayors",
        language="en",
        people=[("mayor-of-seoul", "moderator")],
    ),
    SessionSpec(
        "companion-robots",
        ("체험: 반려로봇", "Hands-on: companion robots"),
        (
            "홀로 사는 어르신의 곁을 지키는 반려로봇을 직접 체험합니다.",
            "Try the companion robots that keep older people who live alone company.",
        ),
        SessionKind.WORKSHOP,
        D24[1],
        "10:30",
        60,
        "showroom",
        "showroom",
        capacity=30,
    ),
    SessionSpec(
        "sonmok-doctor-9988",
        ("체험: 손목닥터9988", "Hands-on: Sonmok Doctor 9988"),
        (
            "손목에 차는 건강관리 서비스 손목닥터9988을 체험합니다.",
            "Try Sonmok Doctor 9988, Seoul's wrist-worn health programme.",
        ),
        SessionKind.WORKSHOP,
        D24[1],
        "13:30",
        60,
        "showroom",
        "showroom",
        capacity=30,
    ),
    SessionSpec(
        "seoul-learn",
        ("서울런: 모두를 위한 온라인 학습", "Seoul Learn: online learning for everyone"),
        (
            "서울의 온라인 학습 플랫폼 서울런을 소개합니다.",
            "An introduction to Seoul Learn, the city's online learning platform.",
        ),
        SessionKind.LECTURE,
        D24[1],
        "15:00",
        40,
        "main-hall",
        "main",
    ),
    SessionSpec(
        "self-driving-bus-tour",
        ("쇼룸 투어: 자율주행버스", "Showroom tour: self-driving buses"),
        (
            "서울의 자율주행버스와 미래 모빌리티를 둘러봅니다.",
            "A tour of Seoul's self-driving buses and future mobility.",
        ),
        SessionKind.SHOWROOM_TOUR,
        D24[2],
        "11:00",
        60,
        "showroom",
        "showroom",
        capacity=20,
    ),
    SessionSpec(
        "seoul-solutions-export",
        ("서울의 스마트 솔루션, 세계로", "Seoul's smart solutions around the world"),
        (
            "43개국 78개 도시에 수출된 서울의 스마트 기술과 솔루션.",
            "Seoul's smart technologies and solutions, exported to 78 cities in 43 countries.",
        ),
        SessionKind.LECTURE,
        D24[2],
        "14:00",
        40,
        "main-hall",
        "main",
        language="en",
    ),
]

EDITIONS: dict[str, dict[str, Any]] = {
    "scw2021": {
        "name": _t("2021 서울 스마트시티 위크", "Seoul Smart City Week 2021"),
        "tagline": _t(
            "비대면사회와 앞당겨진 미래", "The non-contact society and the accelerated future"
        ),
        "description": _t(
            "국내외 도시, 기업, 학계, 전문가가 지식과 기술을 나누는 온라인 공론장. 강연, 포럼, 좌담회 등 14개 프로그램을 누구나 쉽게 즐길 수 있도록 준비했습니다.",
            "An online forum where cities, companies, academia and experts from Korea and abroad share knowledge and technology: 14 programmes of lectures, forums and roundtables, made easy for everyone.",
        ),
        "mode": EventMode.ONLINE,
        "dates": (D21[0], D21[-1]),
        "venues": {
            "ddp": (
                ("DDP 서울온 스튜디오", "DDP Seoul-On studio"),
                ("서울 중구 을지로 281", "281 Eulji-ro, Jung-gu, Seoul"),
            )
        },
        "rooms": [
            (
                "online-main",
                ("온라인 메인 채널", "Online main channel"),
                RoomKind.ONLINE,
                None,
                None,
            ),
            (
                "seoul-on",
                ("서울온 스튜디오 (무관중 생중계)", "Seoul-On studio (streamed, no audience)"),
                RoomKind.ONLINE,
                "ddp",
                None,
            ),
            (
                "metaverse",
                ("메타버스 회의실", "Metaverse conference room"),
                RoomKind.ONLINE,
                None,
                None,
            ),
        ],
        "tracks": [
            ("forum", ("포럼", "Forum"), "#1d4ed8"),
            ("innovation", ("기업 혁신", "Corporate innovation"), "#047857"),
            ("sebasi", ("세바시 강연", "Sebasi talks"), "#b91c1c"),
            ("everyone", ("모두를 위한 기술", "Technology for everyone"), "#7c3aed"),
        ],
        "sessions": SCW2021,
    },
    "slw2024": {
        "name": _t("스마트라이프위크 2024", "Smart Life Week 2024"),
        "tagline": _t(
            "사람 중심의 기술, 더 나은 삶으로 연결하다",
            "Connecting to a better life with human-centred technology",
        ),
        "description": _t(
            "사람 중심의 기술을 체험하는 ICT 박람회. 72개국 115개 도시의 시장단과 기업 관계자 500명, 147개 기업의 쇼룸과 전시관. 기술 때문에 소외되는 사람이 없어야 합니다.",
            "A hands-on ICT expo of human-centred technology: 500 mayors and company delegates from 115 cities in 72 countries, showrooms of 147 companies. No one may be left behind by technology.",
        ),
        "mode": EventMode.ON_SITE,
        "dates": (D24[0], D24[-1]),
        "venues": {
            "coex": (
                ("코엑스", "COEX"),
                ("서울 강남구 영동대로 513", "513 Yeongdong-daero, Gangnam-gu, Seoul"),
            )
        },
        "rooms": [
            ("main-hall", ("메인 홀", "Main hall"), RoomKind.PHYSICAL, "coex", 800),
            ("forum-room", ("포럼장", "Forum room"), RoomKind.PHYSICAL, "coex", 300),
            (
                "showroom",
                ("쇼룸·전시관", "Showrooms and exhibition hall"),
                RoomKind.PHYSICAL,
                "coex",
                2000,
            ),
        ],
        "tracks": [
            ("main", ("메인 프로그램", "Main programme"), "#1d4ed8"),
            ("mayors", ("메이어스 포럼", "Mayors Forum"), "#9a3412"),
            ("showroom", ("쇼룸", "Showrooms"), "#047857"),
        ],
        "sessions": SLW2024,
    },
}

STREAM_URL = "https://www.youtube.com/"


def _person(spec: PersonSpec) -> models.Person:
    organisation, _created = models.Organisation.objects.update_or_create(
        name=_t(*spec.organisation), defaults={"country": spec.country}
    )
    city = None
    if spec.city:
        city, _created = models.City.objects.get_or_create(
            country=spec.country, name=_t(*spec.city)
        )
    person, _created = models.Person.objects.update_or_create(
        guid=_uid("person", spec.slug),
        defaults={
            "slug": spec.slug,
            "name": _t(*spec.name),
            "position": _t(*spec.position),
            "organisation": organisation,
            "city": city,
            "country": spec.country,
            "biography": _t(*spec.bio) if any(spec.bio) else _t("", ""),
        },
    )
    return person


@transaction.atomic
def load_demo_editions() -> list[models.Event]:
    """Create or update the demo editions ``scw2021`` and ``slw2024``, published.

    Side effects: writes editions, venues, rooms, tracks, people, organisations, cities,
    sessions and roles; bumps each edition's program version (cache).
    """
    people = {spec.slug: _person(spec) for spec in PEOPLE}
    events = []
    for slug, data in EDITIONS.items():
        starts_on, ends_on = data["dates"]
        event, _created = models.Event.objects.update_or_create(
            slug=slug,
            defaults={
                "guid": _uid("event", slug),
                "name": data["name"],
                "tagline": data["tagline"],
                "description": data["description"],
                "mode": data["mode"],
                "time_zone": "Asia/Seoul",
                "starts_on": starts_on,
                "ends_on": ends_on,
                "is_published": True,
            },
        )
        venues = {}
        for key, (name, address) in data["venues"].items():
            venues[key], _created = models.Venue.objects.update_or_create(
                event=event, name=_t(*name), defaults={"address": _t(*address)}
            )
        rooms = {}
        for position, (key, name, kind, venue_key, capacity) in enumerate(data["rooms"]):
            rooms[key], _created = models.Room.objects.update_or_create(
                guid=_uid("room", slug, key),
                defaults={
                    "event": event,
                    "name": _t(*name),
                    "kind": kind,
                    "venue": venues.get(venue_key) if venue_key else None,
                    "capacity": capacity,
                    "stream_url": STREAM_URL if kind == RoomKind.ONLINE else "",
                    "position": position,
                },
            )
        tracks = {}
        for key, name, color in data["tracks"]:
            tracks[key], _created = models.Track.objects.update_or_create(
                event=event, slug=key, defaults={"name": _t(*name), "color": color}
            )
        for spec in data["sessions"]:
            hour, minute = map(int, spec.start.split(":"))
            starts_at = dt.datetime.combine(spec.day, dt.time(hour, minute), tzinfo=SEOUL)
            session, _created = models.Session.objects.update_or_create(
                guid=_uid("session", slug, spec.slug),
                defaults={
                    "event": event,
                    "slug": spec.slug,
                    "title": _t(*spec.title),
                    "abstract": _t(*spec.abstract),
                    "kind": spec.kind,
                    "language": spec.language,
                    "starts_at": starts_at,
                    "ends_at": starts_at + dt.timedelta(minutes=spec.minutes),
                    "room": rooms[spec.room],
                    "track": tracks[spec.track],
                    "capacity": spec.capacity,
                    "status": SessionStatus.PUBLISHED,
                },
            )
            session.roles.all().delete()
            models.SessionRole.objects.bulk_create(
                models.SessionRole(
                    session=session, person=people[person_slug], role=role, position=index
                )
                for index, (person_slug, role) in enumerate(spec.people)
            )
        bump_program_version(event.pk)
        events.append(event)
    return events
