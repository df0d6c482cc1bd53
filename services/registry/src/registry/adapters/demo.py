"""Synthetic demo district (临港区): about 20,000 entities, a few institutions, social
organisations and products, 80 inspectors, a small item list and the external roster of a
co-organising agency (the district's tax office, 第三条), deterministic."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterable
from datetime import date
from typing import Any

from registry.domain.imports import (
    CHECK_ITEMS,
    ENTITIES,
    EXPERTS,
    EXTERNAL_INSPECTORS,
    INSPECTORS,
    PRODUCTS,
    Kind,
)
from spotcheck_common import uscc

ENTITY_TYPES = ["有限责任公司", "股份有限公司", "个体工商户", "农民专业合作社", "个人独资企业"]
INDUSTRIES = {
    "批发和零售业": ["商贸", "百货", "超市"],
    "住宿和餐饮业": ["餐饮", "酒店", "小吃"],
    "制造业": ["机械", "食品", "服饰"],
    "建筑业": ["建材", "建筑", "装饰"],
    "交通运输业": ["物流", "运输", "货运"],
    "信息技术服务业": ["科技", "软件", "网络"],
    "租赁和商务服务业": ["商务", "租赁", "咨询"],
}
AREAS = ["草庙子镇", "蔄山镇", "汪疃镇", "苘山镇"]
RISK_WEIGHTS = {"A": 30, "B": 40, "C": 20, "D": 7, "E": 3}
DEPARTMENTS = [
    "信用监管科",
    "市场规范管理科",
    "产品质量安全监督管理科",
    "食品安全监督管理科",
    "草庙子市场监管所",
]
QUALIFICATIONS = ["企业公示信息", "登记事项", "产品质量", "食品经营", "广告发布", "价格行为"]
# 第六条: every inspector taking part in the random checks may check every item on the list.
QUALIFY_ALL = "双随机全部事项"
DEMO_LIST_EFFECTIVE_FROM = date(2026, 1, 1)
# (code, category, name, target, class, method, body, basis, ratio, frequency, requirements)
DEMO_CHECK_ITEMS = [
    (
        "LG-GS-01",
        "企业公示信息",
        "企业公示信息抽查",
        "企业",
        "一般",
        "书面检查、实地核查",
        "临港区市场监管局",
        "《企业信息公示暂行条例》第十四条",
        "3%",
        "每年1次",
        "",
    ),
    (
        "LG-DJ-01",
        "登记事项",
        "登记事项检查",
        "各类市场主体",
        "一般",
        "实地核查",
        "临港区市场监管局",
        "《市场主体登记管理条例》第三十五条",
        "3%",
        "每年1次",
        "",
    ),
    (
        "LG-ZL-01",
        "产品质量",
        "生产企业产品质量监督抽查",
        "工业产品生产企业",
        "重点",
        "抽样检测",
        "临港区市场监管局",
        "《产品质量法》第十五条",
        "",
        "每年1次",
        "具备产品质量执法资格",
    ),
    (
        "LG-SP-01",
        "食品经营",
        "食品经营者监督检查",
        "食品经营者",
        "重点",
        "现场检查",
        "临港区市场监管局",
        "《食品安全法》第一百一十条",
        "5%",
        "每年1次",
        "具备食品执法资格",
    ),
    (
        "LG-GG-01",
        "广告发布",
        "广告发布行为检查",
        "广告主、广告经营者、广告发布者",
        "一般",
        "书面检查",
        "临港区市场监管局",
        "《广告法》第四十九条",
        "",
        "",
        "",
    ),
    (
        "LG-JG-01",
        "价格行为",
        "明码标价和价格行为检查",
        "经营者",
        "一般",
        "现场检查",
        "临港区市场监管局",
        "《价格法》第三十四条",
        "",
        "",
        "",
    ),
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"
WORDS = "华海鑫顺达利安盛泰恒通源丰宏德福兴嘉祥瑞临港威"


def demo_entities(count: int = 20_000, seed: int = 2026) -> bytes:
    rng = random.Random(seed)
    codes = uscc.synthetic(count, seed=seed, area_code="371071")
    risks = list(RISK_WEIGHTS)
    weights = list(RISK_WEIGHTS.values())
    rows: list[dict[str, Any]] = []
    for code in codes:
        kind = rng.choice(ENTITY_TYPES)
        industry = rng.choice(list(INDUSTRIES))
        brand = "".join(rng.choices(WORDS, k=2))
        area = rng.choice(AREAS)
        status = "存续" if rng.random() > 0.03 else rng.choice(["注销", "吊销", "迁出"])
        rows.append(
            {
                "uscc": code,
                "name": f"威海{brand}{rng.choice(INDUSTRIES[industry])}{kind}",
                "entity_type": kind,
                "industry": industry,
                "area": area,
                "risk_class": rng.choices(risks, weights)[0],
                "status": status,
                "address": f"山东省威海市临港区{area}{rng.randint(1, 300)}号",
            }
        )
    return to_csv(ENTITIES, rows)


def demo_inspectors(count: int = 80, seed: int = 2026) -> bytes:
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        quals = sorted(set(rng.sample(QUALIFICATIONS, k=3)) | {"企业公示信息", QUALIFY_ALL})
        rows.append(
            {
                "inspector_id": f"LG{i + 1:04d}",
                "name": rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.randint(1, 2))),
                "department": DEPARTMENTS[i % len(DEPARTMENTS)],
                "qualifications": ";".join(quals),
                "leader_qualified": "是" if i % 3 == 0 else "否",
                "certificate_expires_on": date(2027 + i % 4, 12, 31).isoformat(),
                "active": "是" if i % 40 != 39 else "否",
            }
        )
    return to_csv(INSPECTORS, rows)


EXPERT_FIELDS = ["食品安全", "特种设备", "计量", "产品质量", "知识产权"]


def demo_experts(count: int = 20, seed: int = 2026) -> bytes:
    """The demo expert pool (专家库): ids ``ZJ0001``…, never an inspector's id."""
    rng = random.Random(seed)
    rows = [
        {
            "expert_id": f"ZJ{i + 1:04d}",
            "name": rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.randint(1, 2))),
            "field": EXPERT_FIELDS[i % len(EXPERT_FIELDS)],
            "organization": rng.choice(["市质检院", "区疾控中心", "市特检院", "高校"]),
            "active": "是" if i % 10 != 9 else "否",
        }
        for i in range(count)
    ]
    return to_csv(EXPERTS, rows)


# 联合检查 (第三条): the district's tax office checks with the bureau. Its items are typed on a
# task's form (code and name); its inspectors, the external roster, are imported at start.
DEMO_AGENCY = "tax"
DEMO_AGENCY_NAME = "国家税务总局威海市临港区税务局"
DEMO_AGENCY_ITEMS = [("SW-01", "发票管理检查"), ("SW-02", "税务登记信息核查")]
# (id, name, active): every one qualified for both items; SW0006 is off duty (in no pool).
DEMO_AGENCY_INSPECTORS = [
    ("SW0001", "韩税", True),
    ("SW0002", "曲征", True),
    ("SW0003", "丛管", True),
    ("SW0004", "谭稽", True),
    ("SW0005", "毕查", True),
    ("SW0006", "宫审", False),
]


def demo_external_inspectors() -> bytes:
    """The tax office's inspectors in the external roster's import format."""
    rows = [
        {
            "agency": DEMO_AGENCY,
            "agency_name": DEMO_AGENCY_NAME,
            "inspector_id": inspector_id,
            "name": name,
            "qualifications": ";".join(code for code, _ in DEMO_AGENCY_ITEMS),
            "certificate_expires_on": "2028-12-31",
            "active": "是" if active else "否",
        }
        for inspector_id, name, active in DEMO_AGENCY_INSPECTORS
    ]
    return to_csv(EXTERNAL_INSPECTORS, rows)


# Organisations of other registration authorities (第一条): a 事业单位 and two 社会组织, in
# the entities list like any entity (their kind is read from the code).
DEMO_ORGANISATIONS = [
    (
        "12371071MB28541933",
        "威海市临港区草庙子镇中心卫生院",
        "事业单位",
        "卫生和社会工作",
        "草庙子镇",
    ),
    ("12371071MB2854207U", "威海市临港区实验学校", "事业单位", "教育", "汪疃镇"),
    ("51371071MJ0000001N", "威海市临港区个体劳动者协会", "社会团体", "社会组织", "草庙子镇"),
    (
        "52371071MJ0000002N",
        "威海市临港区蔄山镇颐养服务中心",
        "民办非企业单位",
        "社会组织",
        "蔄山镇",
    ),
]


def demo_organisations() -> bytes:
    """Institutions and social organisations of the demo district, in the entities format."""
    rows = [
        {
            "uscc": code,
            "name": name,
            "entity_type": kind,
            "industry": industry,
            "area": area,
            "risk_class": "B",
            "status": "存续",
            "address": f"山东省威海市临港区{area}",
        }
        for code, name, kind, industry, area in DEMO_ORGANISATIONS
    ]
    return to_csv(ENTITIES, rows)


# Products for a sampling task (抽样检测): bottled water and food of the first two food
# producers of ``demo_entities`` (both active), sold in the district's areas.
DEMO_PRODUCTS = [
    ("饮用天然泉水", "临港泉", "550mL/瓶", "20261008", "草庙子镇", "C"),
    ("饮用天然泉水", "临港泉", "550mL/瓶", "20261015", "草庙子镇", "C"),
    ("饮用天然泉水", "临港泉", "5L/桶", "20261008", "汪疃镇", "C"),
    ("挂面", "德德", "1kg/袋", "20260920", "蔄山镇", "B"),
    ("花生油", "德德", "5L/桶", "20260901", "苘山镇", "D"),
    ("即食海参", "德德", "500g/盒", "20261003", "草庙子镇", "D"),
]


def demo_products() -> bytes:
    code, name = ENTITIES.column("uscc").label, ENTITIES.column("name").label
    entities = csv.DictReader(io.StringIO(demo_entities(count=100).decode()))
    producers = [e for e in entities if "食品" in e[name]][:2]
    rows = []
    for n, (product, brand, spec, batch, area, risk) in enumerate(DEMO_PRODUCTS):
        producer = producers[0 if n < 3 else 1]
        rows.append(
            {
                "producer_uscc": producer[code],
                "product_name": product,
                "brand": brand,
                "specification": spec,
                "batch": batch,
                "producer_name": producer[name],
                "sold_at": f"山东省威海市临港区{area}{n + 1}号超市",
                "industry": "食品制造业",
                "area": area,
                "risk_class": risk,
            }
        )
    return to_csv(PRODUCTS, rows)


def demo_check_items() -> bytes:
    """The demo district's item list (抽查事项清单), in the import format."""
    fields = CHECK_ITEMS.fields
    return to_csv(
        CHECK_ITEMS,
        [dict(zip(fields, row, strict=True)) for row in DEMO_CHECK_ITEMS],
        labels={"item_class": "事项类别(一般/重点)"},
    )


def to_csv(
    kind: Kind, records: Iterable[dict[str, Any]], labels: dict[str, str] | None = None
) -> bytes:
    """Records in the import format: UTF-8 CSV with the Chinese header."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([(labels or {}).get(c.field, c.label) for c in kind.columns])
    for record in records:
        writer.writerow([record[c.field] for c in kind.columns])
    return out.getvalue().encode()
