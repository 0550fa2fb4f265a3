"""The Scrapy side of bench/patrol/run.sh: the same crawl as `ronda patrol run --once` —
from each host's `/`, every page fetched, its text extracted and its links followed (Scrapy's
duplicate filter is the seen-set) — with politeness off and the same concurrency.

    scrapy runspider bench/patrol/scrapy_spider.py -a ports=4101,4102 -s CONCURRENT_REQUESTS=8
"""

import scrapy


class Site(scrapy.Spider):
    name = "bench_site"
    custom_settings = {
        "ROBOTSTXT_OBEY": False,
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "COOKIES_ENABLED": False,
        "RETRY_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "DEPTH_LIMIT": 0,
        # One request in flight per host, as Ronda's politeness has it: the hosts are the
        # ports, and Scrapy's slots are per host name, so the per-domain cap is the total.
        "CONCURRENT_REQUESTS_PER_DOMAIN": 1_000_000,
    }

    def __init__(self, ports="", **kw):
        super().__init__(**kw)
        self.start_urls = [f"http://127.0.0.1:{p}/" for p in ports.split(",") if p]
        self.pages = 0
        self.chars = 0

    def parse(self, response):
        self.pages += 1
        text = " ".join(t.strip() for t in response.css("body *::text").getall() if t.strip())
        self.chars += len(text)
        for href in response.css("a::attr(href)").getall():
            yield response.follow(href, callback=self.parse)

    def closed(self, reason):
        print(f"scrapy pages {self.pages} chars {self.chars}")
