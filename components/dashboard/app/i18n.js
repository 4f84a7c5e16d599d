// Every label of the pages, in Persian and in English. The language is
// the visitor's choice (kept in localStorage), Persian by default; the
// page's `lang` and `dir` follow it. Numbers and dates are shaped by the
// browser's Intl for the language (Persian digits, the Jalali calendar).

const catalogs = {
  fa: {
    "app.title": "باشگاه مشتریان",
    "join.title": "عضویت در باشگاه",
    "lang.switch": "English",
    "signout": "خروج",
    "signin.title": "ورود مدیر باشگاه",
    "signin.token": "توکن مدیریت",
    "signin.submit": "ورود",
    "signin.wrong": "توکن نادرست است.",
    "signin.hint": "همان admin_token که برنامه با آن اجرا شده است.",
    "error.network": "ارتباط با سرور برقرار نشد. دوباره تلاش کنید.",
    "error.generic": "خطا: ",
    "nav.members": "اعضا",
    "nav.overview": "نمای کلی",
    "nav.setup": "راه‌اندازی",
    "setup.title": "راه‌اندازی باشگاه",
    "setup.settings": "تنظیمات باشگاه",
    "setup.sender_signature": "امضای پیامک‌ها",
    "setup.optout_footer": "پانویس انصراف",
    "setup.timezone": "منطقه زمانی",
    "setup.quiet_start": "ارسال تبلیغ از ساعت",
    "setup.quiet_end": "تا ساعت",
    "setup.earn_amount": "به ازای هر (ریال)",
    "setup.earn_points": "امتیاز",
    "setup.sms_part_cost": "هزینه هر بخش پیامک",
    "setup.save": "ذخیره",
    "setup.saved": "ذخیره شد.",
    "setup.conflict": "کس دیگری در این فاصله تنظیمات را تغییر داده است. مقدارهای ذخیره‌شدهٔ او در فرم آمده‌اند؛ بازبینی کنید و دوباره ذخیره کنید.",
    "setup.currency": "واحد پول فروشگاه",
    "setup.store": "اتصال فروشگاه",
    "setup.store_id": "شناسه فروشگاه (حروف لاتین)",
    "setup.store_name": "نام فروشگاه",
    "setup.platform": "پلتفرم",
    "setup.secret": "رمز وب‌هوک",
    "setup.secret_new": "ساخت رمز",
    "setup.connect": "اتصال",
    "setup.webhook_url": "نشانی وب‌هوک",
    "setup.api_key": "کلید API فروشگاه (فقط همین یک بار نمایش داده می‌شود)",
    "setup.steps.woocommerce": "در وردپرس: ووکامرس ← پیکربندی ← پیشرفته ← وب‌هوک‌ها ← افزودن وب‌هوک. موضوع «سفارش به‌روزرسانی شد»، نشانی و رمز بالا را وارد کنید و ذخیره کنید.",
    "setup.steps.shopify": "در شاپیفای: Settings ← Notifications ← Webhooks ← Create webhook، قالب JSON و همین نشانی، برای رویدادهای Order payment و Order cancellation و Refund create. رمزی که شاپیفای با آن امضا می‌کند را در «رمز وب‌هوک» بگذارید.",
    "setup.steps.generic": "فروشگاه سفارش‌ها را با امضای HMAC-SHA256 بدنه (سرآیند x-vafa-signature) به این نشانی بفرستد.",
    "setup.panel": "سامانه پیامک",
    "setup.provider": "سامانه",
    "setup.line": "خط ارسال",
    "setup.credit": "اعتبار",
    "setup.polling": "دریافت پاسخ‌ها و گزارش تحویل با پرسش از سامانه",
    "setup.on": "روشن",
    "setup.off": "خاموش",
    "setup.unknown": "نامعلوم",
    "nav.messages": "پیامک‌ها",
    "nav.transfer": "ورود و خروج",
    "api.title": "اتصال به API فروشگاه",
    "api.note": "کدهای جایزه کوپن خود فروشگاه می‌شوند و سفارش‌های گذشته وارد باشگاه می‌شوند. کلیدها پیش از ذخیره با فروشگاه آزموده می‌شوند و دیگر کامل نشان داده نمی‌شوند.",
    "api.url": "نشانی فروشگاه",
    "api.consumer_key": "Consumer key",
    "api.consumer_secret": "Consumer secret",
    "api.shop": "فروشگاه Shopify",
    "api.access_token": "Admin API access token",
    "api.save": "آزمودن و ذخیره",
    "api.verified": "فروشگاه کلیدها را پذیرفت.",
    "backfill.title": "ورود سفارش‌های گذشته",
    "backfill.note": "هر سفارش یک بار شمرده می‌شود، با تاریخ خودش؛ پیامکی فرستاده نمی‌شود.",
    "backfill.since": "از تاریخ",
    "backfill.award": "امتیاز هم داده شود",
    "backfill.start": "شروع",
    "backfill.state.running": "در حال ورود",
    "backfill.state.done": "انجام شد",
    "backfill.state.failed": "متوقف شد",
    "backfill.counts": "{orders} سفارش خوانده شد · {counted} شمرده شد · {duplicates} از پیش · {skipped} کنار گذاشته شد",
    "import.title": "ورود اعضا از فایل CSV",
    "import.file": "فایل CSV (خروجی اکسل با «CSV UTF-8» یا هر جدول دیگر)",
    "import.columns": "ستون‌ها: phone (لازم)، name، birthday، tags، marketing_consent، consent_source، consent_at، points، points_reason. ورود پیامکی نمی‌فرستد.",
    "import.submit": "بارگذاری و ورود",
    "import.past": "ورودهای اخیر",
    "import.state.running": "در حال ورود",
    "import.state.done": "انجام شد",
    "import.counts": "{processed} از {rows} ردیف · {created} عضو تازه · {existing} عضو از پیش · {refused} ردیف رد شد",
    "import.line": "ردیف {line}: {reason}",
    "export.title": "خروجی اعضا و امتیازها",
    "export.note": "فایل‌های CSV که اکسل فارسی را درست باز می‌کند.",
    "export.members": "دریافت فهرست اعضا",
    "export.ledger": "دریافت ریز امتیازها",
    "member.points": "امتیاز",
    "member.pending": "امتیاز در انتظار",
    "member.tier": "سطح",
    "member.segment": "بخش",
    "member.joined": "تاریخ عضویت",
    "member.referral": "کد معرفی",
    "member.consent": "رضایت پیامک",
    "member.history": "سابقه رضایت",
    "member.adjust": "تغییر دستی امتیاز",
    "member.adjust.points": "امتیاز (منفی برای کسر)",
    "member.adjust.reason": "دلیل",
    "member.adjust.submit": "ثبت",
    "member.adjust.done": "ثبت شد.",
    "member.ledger": "دفتر امتیاز",
    "member.messages": "پیامک‌ها",
    "member.back": "بازگشت به اعضا",
    "consent.opted_in": "عضو",
    "consent.opted_out": "انصراف",
    "consent.none": "پرسیده نشده",
    "messages.title": "پیامک‌ها",
    "messages.status": "وضعیت",
    "messages.any": "همه",
    "messages.campaign": "کمپین",
    "messages.filter": "اعمال",
    "messages.none": "پیامکی نیست.",
    "status.queued": "در صف",
    "status.sent": "ارسال‌شده",
    "status.delivered": "رسیده",
    "status.failed": "ناموفق",
    "status.skipped": "رد شده",
    "overview.title": "نمای کلی باشگاه",
    "overview.members": "اعضا",
    "overview.opted_in": "عضو پیامک",
    "overview.opt_out_rate": "نرخ انصراف",
    "overview.active_90d": "خرید در ۹۰ روز",
    "overview.repeat": "خرید دوباره",
    "overview.retention": "ماندگاری",
    "overview.aov": "میانگین سفارش (ریال)",
    "overview.points": "امتیاز مانده",
    "overview.nps": "NPS",
    "chart.joins": "عضویت‌ها",
    "chart.orders": "سفارش‌ها",
    "chart.revenue": "فروش (ریال)",
    "chart.earned": "امتیاز داده‌شده",
    "chart.spent": "امتیاز خرج‌شده",
    "chart.sent": "پیامک ارسالی",
    "chart.delivered": "پیامک رسیده",
    "chart.optouts": "انصراف‌ها",
    "chart.days": "۹۰ روز گذشته",
    "members.title": "اعضا",
    "members.search": "جست‌وجو با شماره موبایل",
    "members.find": "یافتن",
    "members.all": "همه",
    "members.none": "عضوی پیدا نشد.",
    "members.more": "بیشتر",
    "members.points": "امتیاز",
    "members.tier": "سطح",
    "members.joined": "عضویت",
    "members.unnamed": "بی‌نام",
    "join.phone": "شماره موبایل",
    "join.name": "نام (اختیاری)",
    "join.birthday": "تاریخ تولد شمسی (اختیاری)",
    "join.consent": "با عضویت، پیامک‌های باشگاه را دریافت می‌کنم و هر زمان با ارسال «لغو» یا ۱۱ می‌توانم انصراف دهم.",
    "join.send": "دریافت کد",
    "join.code": "کد پیامک‌شده",
    "join.verify": "تأیید و عضویت",
    "join.sent": "کد عضویت پیامک شد؛ تا ۵ دقیقه معتبر است.",
    "join.done": "عضویت شما ثبت شد. خوش آمدید!",
    "join.again": "شماره دیگر",
    "loading": "در حال بارگذاری…",
    "me.title": "صفحهٔ من در باشگاه",
    "me.intro": "برای دیدن امتیازها و کدهای تخفیفتان، شمارهٔ موبایلتان را وارد کنید تا کد ورود پیامک شود.",
    "me.sent": "اگر این شماره در باشگاه باشد، کد ورود پیامک شد؛ تا ۵ دقیقه معتبر است.",
    "me.signin": "ورود",
    "me.notMember": "این شماره عضو باشگاه نیست. از صفحهٔ عضویت بپیوندید.",
    "me.expired": "نشست شما تمام شده است؛ دوباره وارد شوید.",
    "me.hello": "سلام {name}",
    "me.helloAnon": "سلام",
    "me.points": "امتیاز",
    "me.pending": "امتیاز در انتظار",
    "me.tier": "سطح",
    "me.nextTier": "با {amount} ریال خرید دیگر به سطح {tier} می‌رسید.",
    "me.topTier": "شما در بالاترین سطح باشگاه هستید.",
    "me.codes": "کدهای تخفیف شما",
    "me.noCodes": "کد فعالی ندارید.",
    "me.expires": "معتبر تا",
    "me.sms": "پیامک‌های باشگاه",
    "me.receiving": "پیامک‌های تبلیغاتی باشگاه را دریافت می‌کنید.",
    "me.notReceiving": "پیامک‌های تبلیغاتی باشگاه را دریافت نمی‌کنید.",
    "me.optOut": "دیگر پیامک تبلیغاتی نفرستید",
    "me.optIn": "پیامک‌های باشگاه را دوباره بفرستید",
    "me.signout": "خروج",
    "me.rewards": "جایزه‌ها",
    "me.cost": "{points} امتیاز",
    "me.redeem": "دریافت",
    "me.confirm": "{reward} با {cost} امتیاز؟ پس از آن {left} امتیاز می‌ماند.",
    "me.confirmYes": "بله، دریافت کد",
    "me.confirmNo": "انصراف",
    "me.redeemed": "کد شما: {code} — پیامک هم شد.",
    "me.noRewards": "جایزه‌ای برای انتخاب نیست.",
    "me.history": "تاریخچهٔ امتیازها",
    "me.showHistory": "نمایش تاریخچه",
    "me.noHistory": "هنوز امتیازی ثبت نشده است.",
    "me.referral": "دوستانتان را دعوت کنید",
    "me.referralNote": "این پیوند را بفرستید؛ عضویت با آن به نام شما ثبت می‌شود.",
    "me.birthday": "تاریخ تولد",
    "me.birthdayNote": "تاریخ تولدتان را (شمسی، مثل ۱۳۷۰/۰۶/۲۱) یک بار وارد کنید تا هدیهٔ تولد بگیرید.",
    "me.birthdaySave": "ثبت تاریخ تولد",
    "me.birthdayGiven": "تاریخ تولد شما: {date}",
    "kind.earn": "خرید",
    "kind.refund": "بازگشت خرید",
    "kind.redeem": "دریافت جایزه",
    "kind.redeem_cancel": "لغو جایزه",
    "kind.expire": "انقضا",
    "kind.referral": "دعوت دوستان",
    "kind.adjust": "هدیهٔ باشگاه",
    "nav.rewards": "جایزه‌ها",
    "nav.automations": "پیام‌های خودکار",
    "nav.campaigns": "کمپین‌ها",
    "save": "ذخیره",
    "saved": "ذخیره شد.",
    "preview.title": "پیش‌نمایش پیامک",
    "preview.meta": "{encoding} · {parts} بخش · {chars} نویسه",
    "preview.audience": "{members} عضو · {messages} پیامک",
    "rewards.title": "جایزه‌ها",
    "rewards.new": "جایزهٔ تازه یا ویرایش",
    "rewards.none": "هنوز جایزه‌ای تعریف نشده است.",
    "reward.id": "شناسه (لاتین)",
    "reward.name": "نام",
    "reward.kind": "نوع",
    "reward.value": "مقدار",
    "reward.cost": "امتیاز لازم",
    "reward.valid_days": "روزهای اعتبار کد",
    "reward.min_order": "حداقل سفارش (ریال)",
    "reward.stock": "موجودی",
    "reward.unlimited": "نامحدود",
    "reward.kind.percent": "درصد تخفیف",
    "reward.kind.fixed": "تخفیف مبلغی (ریال)",
    "reward.kind.free_shipping": "ارسال رایگان",
    "reward.kind.gift": "هدیه",
    "automations.title": "پیام‌های خودکار",
    "automations.intro": "هر پیام خودکار در زمان خودش، با رعایت ساعت‌های سکوت، تعطیلات و سقف پیامک، برای اعضای موافق فرستاده می‌شود.",
    "automation.enabled": "فعال",
    "automation.on": "فعال",
    "automation.template": "متن",
    "automation.reward": "کد هدیه",
    "automation.noReward": "بدون کد هدیه",
    "automation.offset": "چند روز پس از خرید",
    "automation.cycles": "دستهٔ کالا=روز",
    "automation.welcome": "خوشامد",
    "automation.thank_you": "تشکر پس از خرید",
    "automation.feedback": "نظرسنجی پس از خرید",
    "automation.birthday": "تولد",
    "automation.anniversary": "سالگرد عضویت",
    "automation.winback": "بازگرداندن مشتری",
    "automation.expiry_reminder": "یادآوری انقضای امتیاز",
    "automation.tier_upgrade": "ارتقای سطح",
    "automation.replenishment": "یادآوری خرید دوباره",
    "campaigns.title": "کمپین‌ها",
    "campaigns.new": "کمپین تازه",
    "campaigns.none": "هنوز کمپینی ساخته نشده است.",
    "campaign.name": "نام کمپین",
    "campaign.template": "متن پیامک",
    "campaign.link": "پیوند (برای {link})",
    "campaign.placeholders": "جای‌نگه‌دارها: {name} ،{points} ،{tier} ،{store} ،{link}؛ پیش‌فرض با {name|مشتری عزیز}.",
    "campaign.tiers": "سطح‌ها",
    "campaign.segments": "بخش‌ها",
    "campaign.tags": "برچسب‌ها (با ویرگول)",
    "campaign.minPoints": "حداقل امتیاز",
    "campaign.sendAt": "زمان ارسال، به وقت {zone} (خالی: اکنون)",
    "campaign.schedule": "زمان‌بندی کمپین",
    "campaign.credit": "اعتبار پنل کافی نیست: {needed} لازم است و {available} مانده است.",
    "campaign.funnel": "قیف ارسال",
    "campaign.cancel": "لغو کمپین",
    "campaign.failed": "ناموفق",
    "campaign.skipped": "ارسال‌نشده",
    "campaign.held": "به تعویق افتاده",
    "campaign.ctr": "نرخ کلیک",
    "campaign.conversionRate": "نرخ تبدیل",
    "campaign.revenue": "درآمد (ریال)",
    "campaign.optouts": "انصراف‌ها",
    "campaign.cost": "هزینهٔ تخمینی",
    "campaign.parts": "بخش",
    "campaign.status.scheduled": "زمان‌بندی‌شده",
    "campaign.status.sending": "در حال ارسال",
    "campaign.status.done": "ارسال‌شده",
    "campaign.status.cancelled": "لغوشده",
    "funnel.audience": "مخاطبان",
    "funnel.queued": "در صف",
    "funnel.sent": "ارسال‌شده",
    "funnel.delivered": "رسیده",
    "funnel.clicks": "کلیک",
    "funnel.conversions": "خرید",
    "guard.opted_out": "انصراف‌داده",
    "guard.frequency_cap": "سقف پیامک",
    "guard.quiet_hours": "ساعت سکوت",
    "guard.holiday": "تعطیل",
    "segment.new": "تازه",
    "segment.active": "فعال",
    "segment.loyal": "وفادار",
    "segment.at_risk": "در خطر",
    "segment.lapsed": "از دست رفته",
    "nav.rules": "قواعد باشگاه",
    "rules.title": "قواعد باشگاه",
    "rules.cap": "سقف پیامک تبلیغاتی برای هر عضو",
    "rules.per_day": "در روز",
    "rules.per_week": "در ۷ روز",
    "rules.quiet": "ساعت‌های مجاز ارسال تبلیغ",
    "rules.points": "امتیازها",
    "rules.expiry_months": "انقضا پس از (ماه)",
    "rules.reminder_days": "یادآوری چند روز پیش از انقضا",
    "rules.pending_days": "روزهای انتظار (مهلت مرجوعی)",
    "rules.referral": "امتیاز دعوت دوستان",
    "rules.referrer": "به دعوت‌کننده",
    "rules.referee": "به دوست دعوت‌شده",
    "nav.tiers": "سطح‌ها",
    "tiers.title": "سطح‌های باشگاه",
    "tiers.note": "سطح اول از صفر شروع می‌شود و حداقل خرید هر سطح از سطح پیش از آن بیشتر است. خرید در بازهٔ سطح (tier_window_days) شمرده می‌شود.",
    "tiers.name": "نام (حروف کوچک لاتین)",
    "tiers.min_spend": "حداقل خرید ({currency})",
    "tiers.multiplier": "ضریب امتیاز (درصد؛ ۱۰۰ یعنی ×۱)",
    "tiers.up": "بالاتر",
    "tiers.down": "پایین‌تر",
    "tiers.remove": "حذف",
    "tiers.add": "افزودن سطح",
    "nav.holidays": "تعطیلات",
    "holidays.title": "تعطیلات باشگاه",
    "holidays.note": "در این روزها پیامک تبلیغاتی فرستاده نمی‌شود و تا روز کاری بعد صبر می‌کند.",
    "holidays.none": "هنوز تعطیلی افزوده نشده است.",
    "holidays.add": "افزودن",
    "holidays.unsaved": "افزوده شد؛ برای نگه داشتن، ذخیره کنید.",
    "holidays.year": "سال",
    "holidays.month": "ماه",
    "holidays.day": "روز",
    "holidays.lunar": "تعطیلات قمری سال",
    "holidays.lunarNote": "این تاریخ‌ها در مرورگر با تقویم قمری حساب شده‌اند و تقویم رسمی ممکن است یک روز با آن‌ها فرق کند؛ هر تاریخ را بازبینی و در صورت نیاز اصلاح کنید. فقط آن‌هایی که تیک بزنید افزوده می‌شوند.",
    "holidays.addChecked": "افزودن تیک‌خورده‌ها",
    "holidays.fixed": "تعطیلات ثابت",
    "holidays.fixedNote": "هر سال، همیشه؛ تغییر نمی‌کنند.",
    "lunar.tasua": "تاسوعای حسینی",
    "lunar.ashura": "عاشورای حسینی",
    "lunar.arbaeen": "اربعین حسینی",
    "lunar.prophet_death": "رحلت پیامبر و شهادت امام حسن (۲۸ صفر)",
    "lunar.reza": "شهادت امام رضا (آخر صفر)",
    "lunar.askari": "شهادت امام حسن عسکری",
    "lunar.prophet_birth": "میلاد پیامبر و امام صادق",
    "lunar.fatima": "شهادت حضرت فاطمه",
    "lunar.ali_birth": "ولادت امام علی",
    "lunar.mabath": "مبعث",
    "lunar.shaban": "ولادت امام مهدی (نیمهٔ شعبان)",
    "lunar.ali_death": "شهادت امام علی",
    "lunar.fitr": "عید فطر",
    "lunar.fitr2": "تعطیل عید فطر (روز دوم)",
    "lunar.sadiq": "شهادت امام صادق",
    "lunar.adha": "عید قربان",
    "lunar.ghadir": "عید غدیر",
    "members.new": "عضو تازه",
    "members.consented": "عضو با پیامک‌های تبلیغاتی باشگاه موافقت کرده است",
    "members.consentText": "متنی که با آن موافقت کرد (اختیاری)",
    "members.create": "افزودن عضو",
    "members.open": "صفحهٔ این عضو",
    "member.name": "نام",
    "member.birthday": "تاریخ تولد (مثل ۱۳۷۰-۰۶-۱۵)",
    "member.calendar": "تقویم تاریخ تولد",
    "calendar.jalali": "شمسی",
    "calendar.gregorian": "میلادی",
    "member.erased": "عضو پاک‌شده",
    "member.edit": "ویرایش مشخصات",
    "member.phoneChange": "تغییر شماره موبایل",
    "member.consentChange": "تغییر رضایت پیامک",
    "member.source": "از راه",
    "member.consentReason": "دلیل (در سابقه می‌ماند)",
    "erase.title": "پاک کردن عضو",
    "erase.note": "نام، شماره و تاریخ تولد برای همیشه پاک می‌شوند و برنمی‌گردند؛ فقط آمار بی‌نام می‌ماند.",
    "erase.type": "برای تأیید، «{word}» را بنویسید",
    "erase.word": "پاک شود",
    "erase.submit": "پاک کردن برای همیشه",
  },
  en: {
    "app.title": "Loyalty club",
    "join.title": "Join the club",
    "lang.switch": "فارسی",
    "signout": "Sign out",
    "signin.title": "Club admin sign-in",
    "signin.token": "Admin token",
    "signin.submit": "Sign in",
    "signin.wrong": "The token is wrong.",
    "signin.hint": "The admin_token the app runs with.",
    "error.network": "Could not reach the server. Try again.",
    "error.generic": "Error: ",
    "nav.members": "Members",
    "nav.overview": "Overview",
    "nav.setup": "Getting started",
    "setup.title": "Getting started",
    "setup.settings": "Club settings",
    "setup.sender_signature": "SMS signature",
    "setup.optout_footer": "Opt-out footer",
    "setup.timezone": "Time zone",
    "setup.quiet_start": "Marketing from",
    "setup.quiet_end": "until",
    "setup.earn_amount": "For every (IRR)",
    "setup.earn_points": "points",
    "setup.sms_part_cost": "Cost of one SMS part",
    "setup.save": "Save",
    "setup.saved": "Saved.",
    "setup.conflict": "Someone else changed the settings meanwhile. Their saved values are in the form now; check them and save again.",
    "setup.currency": "Store currency",
    "setup.store": "Connect a store",
    "setup.store_id": "Store id (Latin letters)",
    "setup.store_name": "Store name",
    "setup.platform": "Platform",
    "setup.secret": "Webhook secret",
    "setup.secret_new": "Make one",
    "setup.connect": "Connect",
    "setup.webhook_url": "Webhook URL",
    "setup.api_key": "The store's API key (shown this once)",
    "setup.steps.woocommerce": "In WordPress: WooCommerce → Settings → Advanced → Webhooks → Add webhook. Topic \"Order updated\", the URL and the secret above; save.",
    "setup.steps.shopify": "In Shopify: Settings → Notifications → Webhooks → Create webhook, format JSON, this URL, for Order payment, Order cancellation and Refund create. Put the secret Shopify signs with in \"Webhook secret\".",
    "setup.steps.generic": "The shop posts its orders to this URL, signed with HMAC-SHA256 of the body (header x-vafa-signature).",
    "setup.panel": "SMS panel",
    "setup.provider": "Provider",
    "setup.line": "Line",
    "setup.credit": "Credit",
    "setup.polling": "Replies and delivery reports by polling",
    "setup.on": "on",
    "setup.off": "off",
    "setup.unknown": "unknown",
    "nav.messages": "Messages",
    "nav.transfer": "Store data",
    "api.title": "Connect the shop's API",
    "api.note": "Reward codes become the shop's own coupons and past orders come in. The keys are tried with the shop before they are saved, and never shown in full again.",
    "api.url": "Shop address",
    "api.consumer_key": "Consumer key",
    "api.consumer_secret": "Consumer secret",
    "api.shop": "Shopify shop",
    "api.access_token": "Admin API access token",
    "api.save": "Try and save",
    "api.verified": "The shop accepted the keys.",
    "backfill.title": "Bring in past orders",
    "backfill.note": "Each order counts once, dated when placed; no SMS is sent.",
    "backfill.since": "Since",
    "backfill.award": "Award points too",
    "backfill.start": "Start",
    "backfill.state.running": "Bringing in",
    "backfill.state.done": "Done",
    "backfill.state.failed": "Stopped",
    "backfill.counts": "{orders} orders read · {counted} counted · {duplicates} already counted · {skipped} passed over",
    "import.title": "Import members from a CSV file",
    "import.file": "CSV file (Excel's \"CSV UTF-8\", or any sheet)",
    "import.columns": "Columns: phone (required), name, birthday, tags, marketing_consent, consent_source, consent_at, points, points_reason. An import sends no SMS.",
    "import.submit": "Upload and import",
    "import.past": "Recent imports",
    "import.state.running": "Importing",
    "import.state.done": "Done",
    "import.counts": "{processed} of {rows} rows · {created} new members · {existing} already members · {refused} rows refused",
    "import.line": "Line {line}: {reason}",
    "export.title": "Export members and points",
    "export.note": "CSV files that Excel opens with Persian intact.",
    "export.members": "Download members",
    "export.ledger": "Download the points ledger",
    "member.points": "Points",
    "member.pending": "Pending points",
    "member.tier": "Tier",
    "member.segment": "Segment",
    "member.joined": "Joined",
    "member.referral": "Referral code",
    "member.consent": "SMS consent",
    "member.history": "Consent history",
    "member.adjust": "Adjust points by hand",
    "member.adjust.points": "Points (negative to take away)",
    "member.adjust.reason": "Reason",
    "member.adjust.submit": "Save",
    "member.adjust.done": "Saved.",
    "member.ledger": "Points ledger",
    "member.messages": "Messages",
    "member.back": "Back to members",
    "consent.opted_in": "Opted in",
    "consent.opted_out": "Opted out",
    "consent.none": "Not asked",
    "messages.title": "Messages",
    "messages.status": "Status",
    "messages.any": "Any",
    "messages.campaign": "Campaign",
    "messages.filter": "Apply",
    "messages.none": "No messages.",
    "status.queued": "Queued",
    "status.sent": "Sent",
    "status.delivered": "Delivered",
    "status.failed": "Failed",
    "status.skipped": "Skipped",
    "overview.title": "Club overview",
    "overview.members": "Members",
    "overview.opted_in": "Opted in to SMS",
    "overview.opt_out_rate": "Opt-out rate",
    "overview.active_90d": "Bought in 90 days",
    "overview.repeat": "Repeat purchase",
    "overview.retention": "Retention",
    "overview.aov": "Average order (IRR)",
    "overview.points": "Points outstanding",
    "overview.nps": "NPS",
    "chart.joins": "Joins",
    "chart.orders": "Orders",
    "chart.revenue": "Revenue (IRR)",
    "chart.earned": "Points earned",
    "chart.spent": "Points spent",
    "chart.sent": "SMS sent",
    "chart.delivered": "SMS delivered",
    "chart.optouts": "Opt-outs",
    "chart.days": "The last 90 days",
    "members.title": "Members",
    "members.search": "Find by mobile number",
    "members.find": "Find",
    "members.all": "All",
    "members.none": "No member found.",
    "members.more": "More",
    "members.points": "points",
    "members.tier": "tier",
    "members.joined": "joined",
    "members.unnamed": "No name",
    "join.phone": "Mobile number",
    "join.name": "Name (optional)",
    "join.birthday": "Birthday, Jalali (optional)",
    "join.consent": "By joining I agree to receive the club's SMS; I can stop them at any time by texting «لغو» or 11.",
    "join.send": "Send me a code",
    "join.code": "The code we texted",
    "join.verify": "Confirm and join",
    "join.sent": "The code is on its way by SMS; it is valid for 5 minutes.",
    "join.done": "You are a member. Welcome!",
    "join.again": "Another number",
    "loading": "Loading…",
    "me.title": "My club page",
    "me.intro": "Enter your mobile number and we will text you a code to see your points and discount codes.",
    "me.sent": "If this number is in the club, a sign-in code is on its way; it is valid for 5 minutes.",
    "me.signin": "Sign in",
    "me.notMember": "This number is not in the club. Join on the sign-up page.",
    "me.expired": "Your session has ended; sign in again.",
    "me.hello": "Hello {name}",
    "me.helloAnon": "Hello",
    "me.points": "Points",
    "me.pending": "Pending points",
    "me.tier": "Tier",
    "me.nextTier": "Spend {amount} rials more to reach {tier}.",
    "me.topTier": "You are in the club's top tier.",
    "me.codes": "Your discount codes",
    "me.noCodes": "You have no active codes.",
    "me.expires": "Valid until",
    "me.sms": "The club's SMS",
    "me.receiving": "You receive the club's marketing SMS.",
    "me.notReceiving": "You do not receive the club's marketing SMS.",
    "me.optOut": "Stop marketing SMS",
    "me.optIn": "Send me the club's SMS again",
    "me.signout": "Sign out",
    "me.rewards": "Rewards",
    "me.cost": "{points} points",
    "me.redeem": "Get it",
    "me.confirm": "{reward} for {cost} points? {left} points will be left.",
    "me.confirmYes": "Yes, get the code",
    "me.confirmNo": "Cancel",
    "me.redeemed": "Your code: {code} (also sent by SMS).",
    "me.noRewards": "There are no rewards to choose from.",
    "me.history": "Points history",
    "me.showHistory": "Show history",
    "me.noHistory": "No points yet.",
    "me.referral": "Invite your friends",
    "me.referralNote": "Send this link; a friend who joins with it is counted as yours.",
    "me.birthday": "Birthday",
    "me.birthdayNote": "Give your birthday once (Jalali, e.g. 1370/06/21) for a birthday gift.",
    "me.birthdaySave": "Save birthday",
    "me.birthdayGiven": "Your birthday: {date}",
    "kind.earn": "Purchase",
    "kind.refund": "Refund",
    "kind.redeem": "Reward",
    "kind.redeem_cancel": "Reward cancelled",
    "kind.expire": "Expired",
    "kind.referral": "Referral",
    "kind.adjust": "From the club",
    "nav.rewards": "Rewards",
    "nav.automations": "Automations",
    "nav.campaigns": "Campaigns",
    "save": "Save",
    "saved": "Saved.",
    "preview.title": "SMS preview",
    "preview.meta": "{encoding} · {parts} part(s) · {chars} characters",
    "preview.audience": "{members} members · {messages} SMS",
    "rewards.title": "Rewards",
    "rewards.new": "New reward or edit",
    "rewards.none": "No rewards yet.",
    "reward.id": "Id (Latin)",
    "reward.name": "Name",
    "reward.kind": "Kind",
    "reward.value": "Value",
    "reward.cost": "Points",
    "reward.valid_days": "Days a code is valid",
    "reward.min_order": "Minimum order (rials)",
    "reward.stock": "Stock",
    "reward.unlimited": "unlimited",
    "reward.kind.percent": "Percent off",
    "reward.kind.fixed": "Amount off (rials)",
    "reward.kind.free_shipping": "Free shipping",
    "reward.kind.gift": "Gift",
    "automations.title": "Automations",
    "automations.intro": "Each automation goes out at its time to members who agreed, within the quiet hours, holidays and the frequency cap.",
    "automation.enabled": "On",
    "automation.on": "on",
    "automation.template": "Text",
    "automation.reward": "Gift code",
    "automation.noReward": "No gift code",
    "automation.offset": "Days after the purchase",
    "automation.cycles": "category=days",
    "automation.welcome": "Welcome",
    "automation.thank_you": "Thank you after a purchase",
    "automation.feedback": "Feedback after a purchase",
    "automation.birthday": "Birthday",
    "automation.anniversary": "Membership anniversary",
    "automation.winback": "Win-back",
    "automation.expiry_reminder": "Points expiry reminder",
    "automation.tier_upgrade": "Tier upgrade",
    "automation.replenishment": "Time to buy again",
    "campaigns.title": "Campaigns",
    "campaigns.new": "New campaign",
    "campaigns.none": "No campaigns yet.",
    "campaign.name": "Campaign name",
    "campaign.template": "SMS text",
    "campaign.link": "Link (for {link})",
    "campaign.placeholders": "Placeholders: {name}, {points}, {tier}, {store}, {link}; with a default: {name|dear customer}.",
    "campaign.tiers": "Tiers",
    "campaign.segments": "Segments",
    "campaign.tags": "Tags (comma-separated)",
    "campaign.minPoints": "Minimum points",
    "campaign.sendAt": "Send at, {zone} time (empty: now)",
    "campaign.schedule": "Schedule the campaign",
    "campaign.credit": "The panel's credit is not enough: {needed} needed, {available} left.",
    "campaign.funnel": "Delivery funnel",
    "campaign.cancel": "Cancel the campaign",
    "campaign.failed": "Failed",
    "campaign.skipped": "Not sent",
    "campaign.held": "Held back",
    "campaign.ctr": "Click-through rate",
    "campaign.conversionRate": "Conversion rate",
    "campaign.revenue": "Revenue (rials)",
    "campaign.optouts": "Opt-outs",
    "campaign.cost": "Estimated cost",
    "campaign.parts": "parts",
    "campaign.status.scheduled": "Scheduled",
    "campaign.status.sending": "Sending",
    "campaign.status.done": "Sent",
    "campaign.status.cancelled": "Cancelled",
    "funnel.audience": "Audience",
    "funnel.queued": "Queued",
    "funnel.sent": "Sent",
    "funnel.delivered": "Delivered",
    "funnel.clicks": "Clicks",
    "funnel.conversions": "Purchases",
    "guard.opted_out": "opted out",
    "guard.frequency_cap": "frequency cap",
    "guard.quiet_hours": "quiet hours",
    "guard.holiday": "holiday",
    "segment.new": "New",
    "segment.active": "Active",
    "segment.loyal": "Loyal",
    "segment.at_risk": "At risk",
    "segment.lapsed": "Lapsed",
    "nav.rules": "Club rules",
    "rules.title": "Club rules",
    "rules.cap": "Marketing SMS a member may get",
    "rules.per_day": "a day",
    "rules.per_week": "in 7 days",
    "rules.quiet": "Hours marketing may go out",
    "rules.points": "Points",
    "rules.expiry_months": "Expire after (months)",
    "rules.reminder_days": "Reminder, days before expiry",
    "rules.pending_days": "Days pending (return window)",
    "rules.referral": "Referral points",
    "rules.referrer": "To the referrer",
    "rules.referee": "To the friend",
    "nav.tiers": "Tiers",
    "tiers.title": "The club's tiers",
    "tiers.note": "The first tier starts at zero and each tier's minimum spend is above the one before it. Spend counts over the tier window (tier_window_days).",
    "tiers.name": "Name (a-z, 0-9, _)",
    "tiers.min_spend": "Minimum spend ({currency})",
    "tiers.multiplier": "Points multiplier (percent; 100 is ×1)",
    "tiers.up": "Up",
    "tiers.down": "Down",
    "tiers.remove": "Remove",
    "tiers.add": "Add a tier",
    "nav.holidays": "Holidays",
    "holidays.title": "The club's holidays",
    "holidays.note": "No marketing SMS goes out on these days; it waits for the next working day.",
    "holidays.none": "No holidays added yet.",
    "holidays.add": "Add",
    "holidays.unsaved": "Added; save to keep it.",
    "holidays.year": "Year",
    "holidays.month": "Month",
    "holidays.day": "Day",
    "holidays.lunar": "The year's lunar holidays",
    "holidays.lunarNote": "These dates are computed in the browser from the Hijri calendar; the official calendar can differ by a day, so check each one and change it if need be. Only those you tick are added.",
    "holidays.addChecked": "Add the ticked ones",
    "holidays.fixed": "Fixed holidays",
    "holidays.fixedNote": "Every year, always on; they cannot be changed.",
    "lunar.tasua": "Tasua",
    "lunar.ashura": "Ashura",
    "lunar.arbaeen": "Arbaeen",
    "lunar.prophet_death": "The Prophet's death and Imam Hasan's martyrdom (28 Safar)",
    "lunar.reza": "Imam Reza's martyrdom (last day of Safar)",
    "lunar.askari": "Imam Hasan Askari's martyrdom",
    "lunar.prophet_birth": "The Prophet's birthday",
    "lunar.fatima": "Fatima's martyrdom",
    "lunar.ali_birth": "Imam Ali's birthday",
    "lunar.mabath": "Mab'ath",
    "lunar.shaban": "15 Sha'ban",
    "lunar.ali_death": "Imam Ali's martyrdom",
    "lunar.fitr": "Eid al-Fitr",
    "lunar.fitr2": "Eid al-Fitr, second day",
    "lunar.sadiq": "Imam Sadiq's martyrdom",
    "lunar.adha": "Eid al-Adha",
    "lunar.ghadir": "Eid al-Ghadir",
    "members.new": "New member",
    "members.consented": "The member agreed to the club's marketing SMS",
    "members.consentText": "The text they agreed to (optional)",
    "members.create": "Add the member",
    "members.open": "Open this member",
    "member.name": "Name",
    "member.birthday": "Birthday (e.g. 1370-06-15)",
    "member.calendar": "Birthday's calendar",
    "calendar.jalali": "Jalali",
    "calendar.gregorian": "Gregorian",
    "member.erased": "Erased member",
    "member.edit": "Edit details",
    "member.phoneChange": "Change the mobile number",
    "member.consentChange": "Change SMS consent",
    "member.source": "Source",
    "member.consentReason": "Reason (kept in the history)",
    "erase.title": "Erase the member",
    "erase.note": "Name, phone and birthday are erased for good and cannot be brought back; only anonymous totals stay.",
    "erase.type": "To confirm, type \"{word}\"",
    "erase.word": "ERASE",
    "erase.submit": "Erase for good",
  },
};

export let lang = localStorage.getItem("lang") === "en" ? "en" : "fa";

export function t(key, slots = {}) {
  const text = catalogs[lang][key] ?? catalogs.fa[key] ?? key;
  // One pass, so a filled value (a member's name) is never read as a slot;
  // a slot not given (`{name}` in the placeholders' note) stays as written.
  return text.replace(/\{(\w+)\}/g, (slot, name) => (name in slots ? String(slots[name]) : slot));
}

/** Sets the page's language and direction, then calls `render`. */
export function apply(render) {
  document.documentElement.lang = lang;
  document.documentElement.dir = lang === "fa" ? "rtl" : "ltr";
  const button = document.getElementById("lang");
  button.textContent = t("lang.switch");
  button.onclick = () => {
    lang = lang === "fa" ? "en" : "fa";
    localStorage.setItem("lang", lang);
    apply(render);
  };
  render();
}

const locale = () => (lang === "fa" ? "fa-IR" : "en-GB");

export function number(n) {
  return new Intl.NumberFormat(locale()).format(n);
}

export function percent(fraction) {
  return new Intl.NumberFormat(locale(), { style: "percent", maximumFractionDigits: 1 }).format(fraction);
}

/** An instant as a person of the club reads it, in `style`: Jalali in
 *  Persian, on the club's clock. */
function clubCalendar(iso, timeZone, style) {
  const calendar = lang === "fa" ? "-u-ca-persian" : "";
  return new Intl.DateTimeFormat(locale() + calendar, { ...style, timeZone }).format(new Date(iso));
}

/** A date as the club reads it. `short`: day and month only. */
export function date(iso, timeZone, short = false) {
  return clubCalendar(iso, timeZone, short ? { day: "numeric", month: "short" } : { dateStyle: "medium" });
}

/** A date and its time of day, as the club reads them. */
export function dateTime(iso, timeZone) {
  return clubCalendar(iso, timeZone, { dateStyle: "medium", timeStyle: "short" });
}

/** A whole number as written, without grouping (a year, a day). */
export function digits(n) {
  return new Intl.NumberFormat(locale(), { useGrouping: false }).format(n);
}

// The calendars below read a day at noon UTC, so no zone moves it.
export const DAY = 86_400_000;
const dayFormats = {};

/** The day `ms` in `calendar` (`persian`, `islamic-civil`) as numbers. */
export function calendarDay(ms, calendar) {
  dayFormats[calendar] ??= new Intl.DateTimeFormat(`en-u-ca-${calendar}-nu-latn`, { timeZone: "UTC", year: "numeric", month: "numeric", day: "numeric" });
  const p = Object.fromEntries(dayFormats[calendar].formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return { y: parseInt(p.year, 10), m: Number(p.month), d: Number(p.day) };
}

/** Days from 1 Farvardin: the first six months have 31 days, the next five 30. */
const jalaliOrdinal = (m, d) => (m <= 6 ? (m - 1) * 31 : 186 + (m - 7) * 30) + d;

/** Noon UTC of a Jalali day, found from the browser's Persian calendar. */
export function fromJalali(y, m, d) {
  let ms = Date.UTC(y + 621, 2, 21, 12);
  for (let i = 0; i < 3; i++) {
    const j = calendarDay(ms, "persian");
    ms -= ((j.y - y) * 365 + jalaliOrdinal(j.m, j.d) - jalaliOrdinal(m, d)) * DAY;
  }
  return ms;
}

/** Days in a Jalali month: Esfand has 30 in a leap year only. */
export function jalaliMonthDays(y, m) {
  if (m < 12) return m <= 6 ? 31 : 30;
  return calendarDay(fromJalali(y, 12, 30), "persian").m === 12 ? 30 : 29;
}

/** The Jalali months' names in the page's language (Farvardin… in English). */
const monthNames = {};
export function jalaliMonths() {
  const f = new Intl.DateTimeFormat(locale() + "-u-ca-persian", { timeZone: "UTC", month: "long" });
  return (monthNames[lang] ??= Array.from({ length: 12 }, (_, i) => f.format(new Date(fromJalali(1405, i + 1, 1)))));
}

/** A Jalali day, `{y, m, d}` (without `y`: the day of every year). */
export function jalaliText({ y, m, d }) {
  const day = `${digits(d)} ${jalaliMonths()[m - 1]}`;
  return y ? `${day} ${digits(y)}` : day;
}

/** A wall-clock time in `timeZone` ("2026-12-21T20:00", as a
 *  `datetime-local` field gives it) as the instant it names, in ISO form:
 *  the club's hour, wherever the owner's browser happens to be. */
export function zonedInstant(local, timeZone) {
  const [y, mo, d, h, mi] = local.split(/[-T:]/).map(Number);
  const wall = Date.UTC(y, mo - 1, d, h, mi);
  const parts = new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric" });
  // The zone's offset at an instant: its wall clock then, less the instant.
  const offset = (at) => {
    const p = Object.fromEntries(parts.formatToParts(new Date(at)).map((x) => [x.type, Number(x.value)]));
    return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute) - at;
  };
  // Twice: the offset at the first guess can differ across a clock change.
  const first = wall - offset(wall);
  return new Date(wall - offset(first)).toISOString();
}

/** An element with text (never HTML: what members typed stays text). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  node.append(...children.filter((c) => c != null));
  return node;
}

/** A JSON call; resolves to `{status, body}`, rejects only when offline. */
export async function call(method, path, body, token, extra = {}) {
  const headers = { accept: "application/json", ...extra };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  return { status: res.status, body: json, etag: res.headers.get("etag") };
}

/** `GET` with `token`: the body, or `null` after saying why not in `error`. */
export async function read(path, token, error) {
  const answer = await call("GET", path, undefined, token).catch(() => null);
  if (!answer) error.textContent = t("error.network");
  else if (answer.status !== 200) error.textContent = errorText(answer);
  else return answer.body;
  return null;
}

export function errorText(answer) {
  return t("error.generic") + (answer.body?.error?.message ?? answer.status);
}

/** A list of `[label, value]` pairs. */
export function facts(pairs) {
  return el("dl", { class: "facts" }, ...pairs.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })]));
}

/** A labelled input with a slot for the API's error about it. */
export function field(id, label, value, attrs = {}) {
  const input = el("input", { id, value: value ?? "", ...attrs });
  return el("div", { "data-field": attrs["data-api"] ?? id }, el("label", { for: id, text: label }), input, el("p", { class: "error field-error" }));
}

/** Shows an API error next to the field it names, or under the form. */
export function showError(form, answer, fallback) {
  const name = answer.body?.error?.field;
  const slot = (name && form.querySelector(`[data-field="${name}"] .field-error`)) || fallback;
  slot.textContent = errorText(answer);
}
