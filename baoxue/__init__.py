"""baoxue (保学): the 控辍保学 standard statistics workbook toolkit."""
__version__ = "0.1.0"
