"""Generate tests/gold/unseen/docs/measures.pdf (run by hand, NOT by the tests).

A district 扶持办法 (support measures) in the layout of a government 红头文件:
a red masthead, the doc number, the covering notice that names the measures in
《》, the signature and date, then the measures as 第一条…第十二条 with several
funding clauses (一次性奖励最高500万元, 按实际投资额的10%给予补贴…最高1000万元,
租金补贴…), an application deadline and a validity period; page numbers
"— 1 —" at the bottom.  Lines wrap wherever the width ends (wrapmode CHAR: a
line breaks between any two characters, even inside a number), so a phrase can
be split over two lines in the extracted text.

The measures, the issuing office's doc number (余政办〔2024〕12号) and the date are
invented for this gold set (modelled on district measures of 2023–2024); see
tests/gold/unseen/README.md.

Font: needs a CJK TrueType font (embedded as a subset, not checked in):
    apt-get install fonts-wqy-microhei     # -> /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
or point POLICYLENS_CJK_FONT at any .ttf/.ttc/.otf with CJK glyphs.

Usage:
    .venv/bin/python tests/gold/unseen/make/make_measures_pdf.py
Requires fpdf2 (and pypdf for the text dump at the end).
"""

from __future__ import annotations

import datetime
import os
import sys
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import WrapMode

OUT = Path(__file__).resolve().parent.parent / "docs" / "measures.pdf"

FONT_CANDIDATES = [
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
]

TITLE = "杭州市余杭区促进元宇宙与数字孪生产业发展扶持办法（试行）"
ISSUER = "杭州市余杭区人民政府办公室"
DOC_NO = "余政办〔2024〕12号"

NOTICE_TITLE = f"{ISSUER}关于印发《{TITLE}》的通知"
NOTICE_TO = "各镇人民政府、街道办事处，区级各部门、各直属单位："
NOTICE_BODY = f"《{TITLE}》已经区政府同意，现印发给你们，请认真贯彻执行。"
SIGN_DATE = "2024年4月15日"

ARTICLES = [
    "第一条　为贯彻落实《浙江省元宇宙产业发展行动计划（2023—2025年）》，"
    "加快推动元宇宙与数字孪生产业集聚发展，力争到2026年全区元宇宙与数字孪生相关产业规模突破500亿元，结合本区实际，制定本办法。",
    "第二条　本办法适用于工商注册、税务征管和统计关系均在余杭区，从事元宇宙、数字孪生、虚拟现实、"
    "人工智能生成内容等领域研发、生产和服务的企业及机构。",
    "第三条　落户奖励。对新引进的元宇宙与数字孪生领域总部企业和重大产业项目，经区政府认定，"
    "给予一次性奖励最高500万元。",
    "第四条　投资补贴。对企业新购置用于研发和生产的软硬件设备，实际投资额在2000万元以上的，"
    "按实际投资额的10%给予补贴，单个企业每年最高1000万元。",
    "第五条　租金补贴。对租用区内办公用房并实际用于研发和办公的企业，按实际租金的50%给予租金补贴，"
    "补贴期最长3年，每年最高100万元。",
    "第六条　场景应用奖励。对入选国家级元宇宙或数字孪生典型应用场景的项目，给予一次性奖励200万元；"
    "入选省级的，给予一次性奖励80万元。",
    "第七条　创新平台资助。对新认定的国家级、省级重点实验室和企业技术中心，分别给予最高300万元、"
    "150万元资助。",
    "第八条　人才支持。对引进的顶尖人才团队，经评审认定，给予最高1亿元项目资助；"
    "对领军人才创办的企业，给予最高60万元创业启动资金。",
    "第九条　融资支持。对获得股权投资机构投资的企业，按实际到位投资额的3%给予奖励，最高120万元；"
    "对企业银行贷款给予贴息，贴息比例为实际支付利息的50%，每年最高50万元。",
    "第十条　申报程序。本办法实行年度集中申报，2024年度申报截止时间为2024年6月30日，逾期不予受理。"
    "申报指南由区经济和信息化局另行发布。",
    "第十一条　同一企业同一项目符合本办法和区内其他政策的，按照“就高不重复”原则执行。对弄虚作假"
    "骗取扶持资金的，追回已拨付资金，并依法追究相关责任。",
    "第十二条　本办法自2024年5月1日起施行，有效期至2026年12月31日，由区经济和信息化局负责解释。",
]

BODY_PT = 12
LINE_H = 7.2


def find_font() -> str:
    env = os.environ.get("POLICYLENS_CJK_FONT")
    if env:
        return env
    for cand in FONT_CANDIDATES:
        if Path(cand).exists():
            return cand
    sys.exit("no CJK font found: apt-get install fonts-wqy-microhei (or set POLICYLENS_CJK_FONT)")


class Measures(FPDF):
    def __init__(self, font_path: str):
        super().__init__(format="A4", unit="mm")
        self.add_font("cjk", "", font_path)
        self.set_margins(26, 24, 26)
        self.set_auto_page_break(True, margin=24)

    def footer(self):
        self.set_y(-16)
        self.set_font("cjk", size=10)
        self.set_text_color(0, 0, 0)
        self.cell(0, 6, f"— {self.page_no()} —", align="C")

    def masthead(self):
        self.set_font("cjk", size=22)
        self.set_text_color(200, 0, 0)
        self.cell(0, 14, f"{ISSUER}文件", align="C", new_x="LMARGIN", new_y="NEXT")
        self.ln(2)
        self.set_font("cjk", size=BODY_PT)
        self.set_text_color(0, 0, 0)
        self.cell(0, 8, DOC_NO, align="C", new_x="LMARGIN", new_y="NEXT")
        self.set_draw_color(200, 0, 0)
        self.set_line_width(0.6)
        self.line(self.l_margin, self.get_y() + 1, self.w - self.r_margin, self.get_y() + 1)
        self.set_line_width(0.2)
        self.ln(6)

    def heading(self, text, size=15):
        self.set_font("cjk", size=size)
        self.set_text_color(0, 0, 0)
        self.multi_cell(
            0, 8.5, text, align="C", new_x="LMARGIN", new_y="NEXT", wrapmode=WrapMode.CHAR
        )
        self.ln(3)

    def para(self, text, indent=True):
        self.set_font("cjk", size=BODY_PT)
        self.set_text_color(0, 0, 0)
        self.multi_cell(
            0,
            LINE_H,
            ("　　" if indent else "") + text,
            new_x="LMARGIN",
            new_y="NEXT",
            wrapmode=WrapMode.CHAR,
        )
        self.ln(1)

    def right(self, text):
        self.set_font("cjk", size=BODY_PT)
        self.cell(0, LINE_H, text, align="R", new_x="LMARGIN", new_y="NEXT")


def main() -> None:
    pdf = Measures(find_font())
    pdf.set_title(NOTICE_TITLE)
    pdf.set_author(ISSUER)
    pdf.set_creation_date(datetime.datetime(2024, 4, 15, 9, 0, tzinfo=datetime.UTC))
    pdf.add_page()
    pdf.masthead()
    pdf.heading(NOTICE_TITLE)
    pdf.para(NOTICE_TO, indent=False)
    pdf.para(NOTICE_BODY)
    pdf.ln(4)
    pdf.right(ISSUER)
    pdf.right(SIGN_DATE)
    pdf.ln(8)
    pdf.heading(TITLE, size=14)
    for art in ARTICLES:
        pdf.para(art)
    pdf.output(str(OUT))
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, {pdf.page_no()} pages)")

    try:
        from pypdf import PdfReader
    except ImportError:
        return
    for i, page in enumerate(PdfReader(str(OUT)).pages, 1):
        print(f"--- page {i} ---")
        print(page.extract_text())


if __name__ == "__main__":
    main()
