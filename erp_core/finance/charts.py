"""The default charts of accounts (会计科目): the Chinese small-business chart (小企业会计准则) and an
English one, each account named in both languages; and which account each automatic posting uses.
Pure data."""

from __future__ import annotations

# code, English name, Chinese name, type
CHARTS: dict[str, tuple[tuple[str, str, str, str], ...]] = {
    "cn": (
        ("1001", "Cash on hand", "库存现金", "asset"),
        ("1002", "Bank deposits", "银行存款", "asset"),
        ("1122", "Accounts receivable", "应收账款", "asset"),
        ("1123", "Prepayments", "预付账款", "asset"),
        ("1405", "Inventory (goods)", "库存商品", "asset"),
        ("1601", "Fixed assets", "固定资产", "asset"),
        ("2202", "Accounts payable", "应付账款", "liability"),
        ("2203", "Advances from customers", "预收账款", "liability"),
        ("2211", "Payroll payable", "应付职工薪酬", "liability"),
        ("2221", "Taxes payable", "应交税费", "liability"),
        ("2241", "Other payables", "其他应付款", "liability"),
        ("3001", "Paid-in capital", "实收资本", "equity"),
        ("3103", "Current-year profit", "本年利润", "equity"),
        ("3104", "Profit distribution", "利润分配", "equity"),
        ("5001", "Main business revenue", "主营业务收入", "income"),
        ("5051", "Other business revenue", "其他业务收入", "income"),
        ("5301", "Non-operating income", "营业外收入", "income"),
        ("5401", "Cost of goods sold", "主营业务成本", "expense"),
        ("5403", "Taxes and surcharges", "税金及附加", "expense"),
        ("5601", "Selling expenses", "销售费用", "expense"),
        ("5602", "Administrative expenses", "管理费用", "expense"),
        ("5603", "Financial expenses", "财务费用", "expense"),
        ("5711", "Non-operating expenses", "营业外支出", "expense"),
        ("5801", "Income tax expense", "所得税费用", "expense"),
    ),
    "en": (
        ("1000", "Cash on hand", "库存现金", "asset"),
        ("1010", "Bank", "银行存款", "asset"),
        ("1100", "Accounts receivable", "应收账款", "asset"),
        ("1300", "Inventory", "库存商品", "asset"),
        ("2000", "Accounts payable", "应付账款", "liability"),
        ("2100", "Taxes payable", "应交税费", "liability"),
        ("3000", "Owner's capital", "实收资本", "equity"),
        ("3200", "Retained earnings", "利润分配", "equity"),
        ("4000", "Sales revenue", "主营业务收入", "income"),
        ("4100", "Sales returns", "销售退回", "income"),
        ("4200", "Shipping income", "其他业务收入", "income"),
        ("5000", "Cost of goods sold", "主营业务成本", "expense"),
        ("6000", "Selling expenses", "销售费用", "expense"),
        ("6100", "Administrative expenses", "管理费用", "expense"),
        ("6200", "Financial expenses and FX differences", "财务费用", "expense"),
        ("6300", "Inventory shrinkage", "存货盘亏", "expense"),
    ),
}

# posting role -> account code, per chart
ROLES: dict[str, dict[str, str]] = {
    "cn": {"cash": "1001", "bank": "1002", "receivable": "1122", "inventory": "1405", "payable": "2202",
           "revenue": "5001", "returns": "5001", "shipping_income": "5051", "cogs": "5401",
           "selling": "5601", "fx": "5603", "inventory_loss": "5711"},
    "en": {"cash": "1000", "bank": "1010", "receivable": "1100", "inventory": "1300", "payable": "2000",
           "revenue": "4000", "returns": "4100", "shipping_income": "4200", "cogs": "5000",
           "selling": "6000", "fx": "6200", "inventory_loss": "6300"},
}

# The accounts that hold earnings kept (with the income and expense accounts not yet closed into them).
RETAINED: dict[str, tuple[str, ...]] = {"cn": ("3103", "3104"), "en": ("3200",)}
