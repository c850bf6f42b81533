/*! Loyalty storefront widget. One tag adds a launcher and a rewards panel to any page:
 *  <script src="https://REWARDS_HOST/static/loyalty/widget.js" defer
 *          data-program="PUBLIC_KEY" data-customer="CUSTOMER_ID" data-digest="HMAC_HEX"></script>
 *  data-customer / data-digest only when the shopper is signed in (the digest is computed by the shop's
 *  server). Points badges: <span data-loyalty-points="49.99"></span> anywhere on the page.
 *  Vanilla JavaScript, no dependencies; everything is drawn inside Shadow DOM so the shop's CSS cannot reach it. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__loyaltyWidget) return;
  window.__loyaltyWidget = true;
  var cfg = {
    program: script.getAttribute("data-program") || "",
    customer: script.getAttribute("data-customer") || "",
    digest: script.getAttribute("data-digest") || "",
    locale: script.getAttribute("data-locale") || "",
    launcher: script.getAttribute("data-launcher") !== "false",
    api: (script.getAttribute("data-api") || new URL(script.src, location.href).origin) + "/api/widget/v1/"
  };

  var STRINGS = {
    en: {
      rewards: "Rewards", close: "Close", join: "Join now", signin: "Sign in", welcome: "Join {program} and earn {points} on every order.",
      earn: "Ways to earn", spend: "Ways to spend", balance: "Your balance", tier: "Tier", next: "{remaining} more to reach {tier}",
      top: "You reached the top tier", redeem: "Redeem", redeeming: "Redeeming…", code: "Your code", copy: "Copy", copied: "Copied",
      share: "Share", refer: "Refer a friend", referText: "Give your friends a reward and get one when they order.",
      codes: "Your codes", history: "History", expires: "{points} expire on {date}", perOrder: "{points} per {currency} 1 spent",
      need: "{points} needed", tierNeeded: "{tier} tier needed", soldOut: "Sold out", checkoutOnly: "Use at checkout",
      tiers: "Tiers", error: "Something went wrong. Please try again.", badge: "Earn {points}", empty: "Nothing yet.",
      ways: { signup: "Create an account", birthday: "Birthday", order_threshold: "Bigger orders", bonus_multiplier: "Bonus", custom_event: "Activity" }
    },
    ar: {
      rewards: "المكافآت", close: "إغلاق", join: "انضم الآن", signin: "تسجيل الدخول", welcome: "انضم إلى {program} واكسب {points} مع كل طلب.",
      earn: "طرق الكسب", spend: "طرق الاستبدال", balance: "رصيدك", tier: "المستوى", next: "بقي {remaining} للوصول إلى {tier}",
      top: "وصلت إلى أعلى مستوى", redeem: "استبدال", redeeming: "جارٍ الاستبدال…", code: "رمزك", copy: "نسخ", copied: "تم النسخ",
      share: "مشاركة", refer: "ادعُ صديقًا", referText: "امنح أصدقاءك مكافأة واحصل على مكافأة عند طلبهم.",
      codes: "رموزك", history: "السجل", expires: "تنتهي صلاحية {points} في {date}", perOrder: "{points} لكل 1 {currency}",
      need: "تحتاج {points}", tierNeeded: "يتطلب مستوى {tier}", soldOut: "نفدت الكمية", checkoutOnly: "عند الدفع",
      tiers: "المستويات", error: "حدث خطأ. حاول مرة أخرى.", badge: "اكسب {points}", empty: "لا شيء بعد.",
      ways: { signup: "إنشاء حساب", birthday: "عيد الميلاد", order_threshold: "طلبات أكبر", bonus_multiplier: "مكافأة إضافية", custom_event: "نشاط" }
    },
    fa: {
      rewards: "جوایز", close: "بستن", join: "عضو شوید", signin: "ورود", welcome: "به {program} بپیوندید و با هر سفارش {points} بگیرید.",
      earn: "راه‌های کسب امتیاز", spend: "راه‌های خرج امتیاز", balance: "موجودی شما", tier: "سطح", next: "{remaining} تا رسیدن به {tier}",
      top: "به بالاترین سطح رسیده‌اید", redeem: "دریافت", redeeming: "در حال دریافت…", code: "کد شما", copy: "کپی", copied: "کپی شد",
      share: "اشتراک", refer: "دعوت از دوستان", referText: "به دوستانتان جایزه بدهید و با خرید آن‌ها جایزه بگیرید.",
      codes: "کدهای شما", history: "تاریخچه", expires: "{points} در {date} منقضی می‌شود", perOrder: "{points} برای هر 1 {currency}",
      need: "{points} لازم است", tierNeeded: "سطح {tier} لازم است", soldOut: "تمام شد", checkoutOnly: "هنگام پرداخت",
      tiers: "سطح‌ها", error: "خطایی رخ داد. دوباره تلاش کنید.", badge: "{points} بگیرید", empty: "هنوز چیزی نیست.",
      ways: { signup: "ساخت حساب", birthday: "تولد", order_threshold: "سفارش بزرگ‌تر", bonus_multiplier: "جایزه ویژه", custom_event: "فعالیت" }
    },
    fr: {
      rewards: "Récompenses", close: "Fermer", join: "Rejoindre", signin: "Se connecter", welcome: "Rejoignez {program} et gagnez {points} à chaque commande.",
      earn: "Gagner", spend: "Dépenser", balance: "Votre solde", tier: "Niveau", next: "Encore {remaining} pour atteindre {tier}",
      top: "Vous êtes au niveau le plus haut", redeem: "Échanger", redeeming: "Échange…", code: "Votre code", copy: "Copier", copied: "Copié",
      share: "Partager", refer: "Parrainer", referText: "Offrez une récompense à vos amis et recevez-en une quand ils commandent.",
      codes: "Vos codes", history: "Historique", expires: "{points} expirent le {date}", perOrder: "{points} par {currency} 1 dépensé",
      need: "{points} requis", tierNeeded: "Niveau {tier} requis", soldOut: "Épuisé", checkoutOnly: "Au paiement",
      tiers: "Niveaux", error: "Une erreur est survenue. Réessayez.", badge: "Gagnez {points}", empty: "Rien pour l’instant.",
      ways: { signup: "Créer un compte", birthday: "Anniversaire", order_threshold: "Grosses commandes", bonus_multiplier: "Bonus", custom_event: "Activité" }
    }
  };

  var program = null, me = null, lang = "en", t = STRINGS.en, host, root, panel, launcher, lastCode = null, focusCode = false;

  function fmt(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return values[key] == null ? "" : values[key]; });
  }
  function num(n) { return new Intl.NumberFormat(lang).format(n); }
  function pts(n) {
    var names = program ? program.points_name : { singular: "point", plural: "points" };
    return num(n) + " " + (Math.abs(n) === 1 ? names.singular : names.plural);
  }
  function dir() { return /^(ar|fa|he|ur)$/.test(lang) ? "rtl" : "ltr"; }
  function day(iso) { return new Intl.DateTimeFormat(lang, { dateStyle: "medium" }).format(new Date(iso)); }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    for (var key in attrs || {}) {
      if (key === "text") node.textContent = attrs[key];
      else if (key.slice(0, 2) === "on") node.addEventListener(key.slice(2), attrs[key]);
      else if (attrs[key] != null && attrs[key] !== false) node.setAttribute(key, attrs[key]);
    }
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function request(path, options) {
    options = options || {};
    var headers = { "X-Loyalty-Program": cfg.program, Accept: "application/json" };
    if (cfg.customer && cfg.digest) {
      headers["X-Loyalty-Customer"] = cfg.customer;
      headers["X-Loyalty-Digest"] = cfg.digest;
    }
    if (options.body) headers["Content-Type"] = "application/json";
    for (var h in options.headers || {}) headers[h] = options.headers[h];
    var sep = path.indexOf("?") < 0 ? "?" : "&";
    // The program in the query string too: CORS preflights carry no header values.
    return fetch(cfg.api + path + sep + "program=" + encodeURIComponent(cfg.program), {
      method: options.method || "GET", headers: headers, body: options.body, credentials: "omit"
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) throw data.error || { code: "error" };
        return data;
      });
    });
  }

  function copyText(text, button) {
    var done = function () {
      button.textContent = t.copied;
      setTimeout(function () { button.textContent = t.copy; }, 2000);
    };
    if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(text).then(done, done);
    else done();
  }

  var CSS = ":host{all:initial}*{box-sizing:border-box;font-family:system-ui,-apple-system,'Segoe UI',Tahoma,sans-serif}" +
    ".launcher{position:fixed;bottom:20px;inset-inline-end:20px;z-index:2147483000;border:0;border-radius:999px;padding:12px 20px;" +
    "background:var(--primary);color:#fff;font-size:15px;font-weight:600;cursor:pointer;box-shadow:0 4px 16px rgba(0,0,0,.25)}" +
    ".launcher:focus-visible,button:focus-visible,a:focus-visible{outline:3px solid var(--accent);outline-offset:2px}" +
    ".panel{position:fixed;bottom:80px;inset-inline-end:20px;z-index:2147483000;width:min(380px,calc(100vw - 40px));max-height:min(640px,calc(100vh - 110px));" +
    "overflow:auto;background:#fff;color:#1d1d1f;border-radius:16px;box-shadow:0 8px 32px rgba(0,0,0,.25);font-size:14px;line-height:1.45}" +
    ".panel[hidden]{display:none}header{background:var(--primary);color:#fff;padding:16px;display:flex;align-items:center;justify-content:space-between;gap:8px}" +
    "header h2{margin:0;font-size:17px}.x{background:transparent;border:0;color:#fff;font-size:22px;cursor:pointer;line-height:1}" +
    "section{padding:12px 16px;border-bottom:1px solid #eee}h3{margin:0 0 8px;font-size:14px;color:#555}" +
    ".balance{font-size:30px;font-weight:700;color:var(--primary)}.bar{height:8px;background:#eee;border-radius:4px;overflow:hidden;margin:6px 0}" +
    ".bar>i{display:block;height:100%;background:var(--accent)}ul{list-style:none;margin:0;padding:0}li{display:flex;justify-content:space-between;align-items:center;gap:8px;padding:6px 0}" +
    ".muted{color:#666;font-size:12px}.btn{border:0;border-radius:8px;padding:7px 12px;background:var(--primary);color:#fff;font-weight:600;cursor:pointer;font-size:13px}" +
    ".btn[disabled]{background:#bbb;cursor:not-allowed}.ghost{background:transparent;color:var(--primary);border:1px solid var(--primary)}" +
    ".code{font-family:ui-monospace,Menlo,monospace;font-size:16px;font-weight:700;letter-spacing:1px;direction:ltr;unicode-bidi:isolate}" +
    ".codebox{background:#f6f6f6;border:2px dashed var(--accent);border-radius:10px;padding:10px;display:flex;justify-content:space-between;align-items:center;gap:8px}" +
    ".actions{display:flex;gap:8px;flex-wrap:wrap;margin-top:8px}a.btn{text-decoration:none;display:inline-block}.err{color:#b00020}" +
    "input{width:100%;padding:7px;border:1px solid #ccc;border-radius:8px;direction:ltr;font-size:12px}.plus{color:#0a7d2c}.minus{color:#b00020}";

  function mount() {
    host = el("div", { id: "loyalty-widget", "data-loyalty-widget": "" });
    root = host.attachShadow({ mode: "open" });
    var b = program.branding;
    host.style.setProperty("--primary", b.primary_color);
    host.style.setProperty("--accent", b.accent_color);
    root.appendChild(el("style", { text: CSS }));
    var wrap = el("div", { dir: dir(), lang: lang, class: "wrap" });
    launcher = el("button", {
      class: "launcher", type: "button", "aria-expanded": "false", "aria-controls": "loyalty-panel",
      "aria-haspopup": "dialog", text: "★ " + t.rewards, onclick: toggle
    });
    panel = el("div", { id: "loyalty-panel", class: "panel", role: "dialog", "aria-label": program.name, hidden: "", tabindex: "-1" });
    document.addEventListener("keydown", function (event) { if (event.key === "Escape" && !panel.hidden) toggle(false); });
    wrap.appendChild(launcher);
    wrap.appendChild(panel);
    root.appendChild(wrap);
    document.body.appendChild(host);
  }

  function toggle(open) {
    open = typeof open === "boolean" ? open : panel.hidden;
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    if (open) { render(); panel.focus(); if (cfg.customer) refresh(); } else launcher.focus();
  }

  function refresh() {
    loadChallenges();
    return request("me").then(function (data) { me = data; render(); }, function () { me = null; render(); });
  }

  function waysToEarn() {
    var items = [el("li", {}, [el("span", { text: fmt(t.perOrder, { points: pts(Number(program.earning.points_per_currency_unit)), currency: program.currency }) })])];
    program.earning.ways_to_earn.forEach(function (way) {
      var what = way.type === "bonus_multiplier" ? "×" + num(Number(way.multiplier)) : pts(way.points);
      items.push(el("li", {}, [el("span", { text: way.name || t.ways[way.type] || way.type }), el("strong", { text: what })]));
    });
    return el("section", {}, [el("h3", { text: t.earn }), el("ul", {}, items)]);
  }

  function rewardRow(reward) {
    var info = el("span", {}, [el("span", { text: reward.name }), el("br"), el("span", { class: "muted", text: pts(reward.points_cost) })]);
    if (!me) return el("li", {}, [info]);
    var why = { insufficient_points: fmt(t.need, { points: pts(reward.points_cost) }), tier_required: fmt(t.tierNeeded, { tier: reward.min_tier_name }),
      out_of_stock: t.soldOut, checkout_only: t.checkoutOnly }[reward.blocked_by];
    var button = el("button", {
      class: "btn", type: "button", "data-reward": reward.id, disabled: !reward.redeemable, title: why || null,
      "aria-label": t.redeem + " " + reward.name, text: t.redeem,
      onclick: function () { redeem(reward, button); }
    });
    return el("li", {}, [info, button]);
  }

  function redeem(reward, button) {
    button.disabled = true;
    button.textContent = t.redeeming;
    var key = (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random();
    request("me/redemptions", { method: "POST", body: JSON.stringify({ reward_id: reward.id }), headers: { "Idempotency-Key": key } })
      .then(function (redemption) { lastCode = { code: redemption.code, name: reward.name }; focusCode = true; return refresh(); },
        function (error) { lastCode = { error: error.message || t.error }; render(); });
  }

  function codeBox(code) {
    var copy = el("button", { class: "btn ghost", type: "button", text: t.copy, onclick: function () { copyText(code, copy); } });
    return el("div", { class: "codebox" }, [el("span", { class: "code", "data-code": code, text: code }), copy]);
  }

  // Challenges panel: running challenges with progress bars (GET me/challenges, texts in the widget's language).
  var CHALLENGE_STRINGS = {
    en: { title: "Challenges", done: "Completed", reward: "Reward: {reward}" },
    ar: { title: "التحديات", done: "مكتمل", reward: "المكافأة: {reward}" },
    fa: { title: "چالش‌ها", done: "تکمیل شد", reward: "پاداش: {reward}" },
    fr: { title: "Défis", done: "Terminé", reward: "Récompense : {reward}" }
  };
  var challenges = null;

  function loadChallenges() {
    return request("me/challenges?lang=" + encodeURIComponent(lang)).then(function (data) {
      challenges = data.challenges; render();
    }, function () { challenges = null; });
  }

  function challengesView() {
    var words = CHALLENGE_STRINGS[lang] || CHALLENGE_STRINGS.en;
    return el("section", { "data-challenges": "" }, [el("h3", { text: words.title })].concat(challenges.map(function (c) {
      var pct = Math.round(c.fraction * 100);
      return el("div", { "data-challenge": c.key }, [
        el("strong", { text: c.name + (c.completed ? " ✓ " + words.done : "") }),
        el("div", { class: "bar", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": c.target, "aria-valuenow": c.value,
          "aria-valuetext": c.progress_text, "aria-label": c.name }, [el("i", { style: "width:" + pct + "%" })]),
        el("div", { class: "muted", text: c.progress_text + " · " + fmt(words.reward, { reward: c.reward_text }) })
      ]);
    })));
  }

  function memberView() {
    var m = me.member, progress = me.tier_progress, parts = [];
    var balance = el("section", {}, [
      el("h3", { text: t.balance }),
      el("div", { class: "balance", "data-balance": m.points_balance, text: pts(m.points_balance) })
    ]);
    if (me.next_expiry) balance.appendChild(el("div", { class: "muted", text: fmt(t.expires, { points: pts(me.next_expiry.points), date: day(me.next_expiry.expires_at) }) }));
    parts.push(balance);
    if (progress && (progress.tier || progress.next_tier)) {
      var pct = Math.round(progress.fraction * 100);
      parts.push(el("section", {}, [
        el("h3", { text: t.tier + (progress.tier ? ": " + progress.tier.name : "") }),
        el("div", { class: "bar", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": pct,
          "aria-label": t.tier }, [el("i", { style: "width:" + pct + "%" })]),
        el("div", { class: "muted", text: progress.next_tier
          ? fmt(t.next, { remaining: progress.metric === "points_earned" ? pts(progress.next_tier.remaining) : num(progress.next_tier.remaining), tier: progress.next_tier.name })
          : t.top })
      ]));
    }
    if (challenges && challenges.length) parts.push(challengesView());
    if (lastCode) {
      parts.push(el("section", { role: "status", "aria-live": "polite" }, lastCode.error
        ? [el("p", { class: "err", text: lastCode.error })]
        : [el("h3", { text: t.code + " — " + lastCode.name }), codeBox(lastCode.code)]));
    }
    parts.push(el("section", {}, [el("h3", { text: t.spend }), el("ul", {}, me.rewards.map(rewardRow))]));
    if (me.vouchers.length) {
      parts.push(el("section", {}, [el("h3", { text: t.codes }), el("ul", {}, me.vouchers.map(function (v) {
        return el("li", {}, [el("span", { text: v.name || (v.reward && v.reward.name) || "" }), codeBox(v.code)]);
      }))]));
    }
    if (program.referrals.enabled) {
      var link = m.referral_url;
      var copy = el("button", { class: "btn ghost", type: "button", text: t.copy, onclick: function () { copyText(link, copy); } });
      var actions = [copy];
      if (navigator.share) actions.push(el("button", { class: "btn", type: "button", text: t.share, onclick: function () { navigator.share({ url: link, title: program.name }).catch(function () {}); } }));
      parts.push(el("section", {}, [el("h3", { text: t.refer }), el("p", { class: "muted", text: t.referText }),
        el("input", { value: link, readonly: "", "aria-label": t.refer }), el("div", { class: "actions" }, actions)]));
    }
    parts.push(el("section", {}, [el("h3", { text: t.history }), me.transactions.length ? el("ul", {}, me.transactions.map(function (tx) {
      return el("li", {}, [el("span", {}, [el("span", { text: tx.description || tx.kind }), el("br"), el("span", { class: "muted", text: day(tx.created_at) })]),
        el("strong", { class: tx.points > 0 ? "plus" : "minus", text: (tx.points > 0 ? "+" : "") + num(tx.points) })]);
    })) : el("p", { class: "muted", text: t.empty })]));
    parts.push(waysToEarn());
    return parts;
  }

  function guestView() {
    var perOrder = pts(Number(program.earning.points_per_currency_unit));
    var parts = [el("section", {}, [
      el("p", { text: fmt(t.welcome, { program: program.name, points: perOrder }) }),
      el("div", { class: "actions" }, [
        el("a", { class: "btn", href: program.links.portal, target: "_top", text: t.join }),
        el("a", { class: "btn ghost", href: program.links.portal, target: "_top", text: t.signin })
      ])
    ]), waysToEarn()];
    if (program.ways_to_spend.length) parts.push(el("section", {}, [el("h3", { text: t.spend }), el("ul", {}, program.ways_to_spend.map(rewardRow))]));
    if (program.tiers.length) parts.push(el("section", {}, [el("h3", { text: t.tiers }), el("ul", {}, program.tiers.map(function (tier) {
      return el("li", {}, [el("span", { text: tier.name }), el("span", { class: "muted", text: (tier.perks || []).join(" · ") })]);
    }))]));
    return parts;
  }

  function render() {
    if (!panel || panel.hidden) return;
    var close = el("button", { class: "x", type: "button", "aria-label": t.close, text: "×", onclick: function () { toggle(false); } });
    var header = el("header", {}, [el("h2", { text: program.name }), close]);
    var hadFocus = root.activeElement && panel.contains(root.activeElement);
    panel.replaceChildren.apply(panel, [header].concat(me ? memberView() : guestView()));
    // Re-drawing removes the focused button: keep keyboard users in the panel, on the new code if there is one.
    if (focusCode) (panel.querySelector(".codebox button") || panel).focus();
    else if (hadFocus) panel.focus();
    focusCode = false;
  }

  function badges() {
    // One preview per distinct subtotal: a listing shows the same price on many badges.
    var previews = {};
    document.querySelectorAll("[data-loyalty-points]").forEach(function (node) {
      var subtotal = node.getAttribute("data-loyalty-points");
      if (!/^\d+(\.\d{1,2})?$/.test(subtotal) || node.shadowRoot) return;
      var shadow = node.attachShadow({ mode: "open" });
      if (!previews[subtotal]) previews[subtotal] = request("points-preview?subtotal=" + encodeURIComponent(subtotal));
      previews[subtotal].then(function (data) {
        var badge = el("span", { dir: dir(), part: "badge", "data-points": data.points,
          style: "display:inline-block;padding:2px 10px;border-radius:999px;font:600 13px system-ui,sans-serif;color:#fff;background:" +
            (program ? program.branding.primary_color : "#333"),
          text: "★ " + fmt(t.badge, { points: pts(data.points) }) });
        shadow.appendChild(badge);
      }, function () {});
    });
  }

  function start() {
    request("program").then(function (data) {
      program = data;
      lang = (cfg.locale || data.language || "en").split("-")[0];
      t = STRINGS[lang] || STRINGS.en;
      if (cfg.launcher) mount();
      badges();
    }, function (error) { if (window.console) console.warn("loyalty widget:", error.code || error); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
