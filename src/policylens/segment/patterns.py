"""Line patterns of digests and plans, one named constant each, with an example."""

from __future__ import annotations

import re

CN_NUMERAL = "一二三四五六七八九十"

# Plan headings
PLAN_LEVEL1 = re.compile(rf"^([{CN_NUMERAL}]{{1,3}})、\s*(.+)$")  # 一、总体要求
PLAN_LEVEL2 = re.compile(rf"^（([{CN_NUMERAL}]{{1,3}})）\s*(.+)$")  # （一）发展思路
PLAN_LEVEL3 = re.compile(r"^(\d{1,2})[.．](?!\d)\s*(.+)$")  # 1.加快“元平台”布局建设。…
PLAN_BOX = re.compile(r"^(专栏\s*\d{1,2})\s*(.*)$")  # 专栏1 关键核心自主技术攻关重点工程
# 附：浙江省元宇宙产业发展行动计划（2023—2025年）
PLAN_TITLE = re.compile(
    r"^(?:附件?\s*\d*\s*[：:]?\s*)?(.{2,50}?(?:计划|方案|意见|办法|措施|规划|纲要|细则|政策)"
    r"(?:（[^（）]{2,20}）)?)$"
)
PERIOD_LINE = re.compile(r"^（\d{4}\s*[—–\-－~至]\s*\d{4}\s*年?）$")  # （2023—2025年）
RESPONSIBLE = re.compile(
    r"[（(]\s*责任单位\s*[：:]\s*([^（）()]+?)\s*[）)]"
)  # （责任单位：省经信厅、…）
RESPONSIBLE_SPLIT = re.compile(r"[、，,；;]")
RESPONSIBLE_NOTE = re.compile(r"(为责任主体|牵头|负责)$")
NOTICE_TITLE = re.compile(r"^关于.{2,80}的通知$")  # 关于印发《…》的通知

# Digest lines
NUMBERED_HEADLINE = re.compile(r"^(\d{1,2})、\s*(.+)$")  # 1、工信部：…
LONE_NUMBER = re.compile(r"^(\d{1,3})$")  # 01
CONTENTS_HEADING = re.compile(r"^目\s*录$")
# A news paragraph opens with its dateline:
#   "9月22日，", "2023年9月18日，", "近日，", "据财联社9月22日报道，"
DATELINE = re.compile(
    r"^(?:据[^，。]{1,30}?(?:报道|消息)，)?"
    r"(?:(?:\d{4}年)?\d{1,2}月\d{1,2}日(?:[^，。]{0,6}?)，|近日，|日前，|\d{4}-\d{2}-\d{2}，)"
)
# "新华网消息，" "本报讯，": a source attribution after the dateline
ATTRIBUTION = re.compile(r"^[^，。]{2,10}(?:消息|报道|讯)，")
SENTENCE_END = re.compile(r"[。！？；：:!?]$")
HEADLINE_MAX = 80
