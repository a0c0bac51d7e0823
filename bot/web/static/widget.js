/*
 * Agglo Assistant – chat widget.
 *
 * Embed on any page with one tag:  <script src="https://HOST/widget.js" defer></script>
 * Options (data attributes of that tag):
 *   data-mode="agent"       the agents' console (separate conversation, complete fiches)
 *   data-target="#element"  render inside that element instead of a floating button
 * Any element of the page with data-agglo-question="…" opens the widget and asks that question
 * when clicked (the demo page's frequent-question cards).
 *
 * Safety: everything the bot or the user writes is inserted with textContent or
 * createElement, never parsed as HTML; web addresses become http(s) links, phone numbers
 * tel: links and e-mail addresses mailto: links, built as DOM nodes.
 */
(function () {
  "use strict";

  var TEXT = {
    launcher: "Une question ? Demandez à l'assistant",
    title: "Assistant de l'Agglo",
    agentTitle: "Assistant – mode agent",
    close: "Fermer l'assistant",
    reset: "Nouvelle conversation",
    resetDone: "Nouvelle conversation commencée.",
    welcome:
      "Bonjour ! Je suis l'assistant de l'Agglo de Béthune-Bruay. Posez votre question sur les aides, le permis de louer, les déchets, l'eau, la mobilité…\nMes réponses citent leurs sources. Ne donnez pas d'informations personnelles.",
    welcomeAgent:
      "Mode agent : je réponds avec la fiche complète du thème, y compris les informations à vérifier et leurs sources.",
    inputLabel: "Votre question",
    inputHint: "Entrée pour envoyer, Maj + Entrée pour aller à la ligne.",
    send: "Envoyer",
    you: "Vous :",
    bot: "L'assistant :",
    typing: "L'assistant écrit…",
    counter: function (count, max) {
      return count + " / " + max + " caractères";
    },
    tooLong: function (max) {
      return (
        "Votre message est un peu long : " +
        max +
        " caractères au maximum. Pourriez-vous le raccourcir ? Merci !"
      );
    },
    unreachable:
      "Oups, l'assistant est injoignable pour le moment. Vérifiez votre connexion, puis réessayez dans un instant.",
    retry: "Réessayer",
    tooMany: "Vous avez envoyé beaucoup de messages en peu de temps. Patientez quelques secondes, puis réessayez.",
    emptyReply: "Je n'ai pas de réponse à vous donner pour le moment. Pouvez-vous reformuler ?",
    suggestions: "Suggestions",
    sources: "Sources",
    source: "Source",
    verifiedOn: "vérifié le",
    newTab: "(nouvel onglet)",
    feedbackQuestion: "Cette réponse vous a-t-elle aidé ?",
    feedbackUp: "Oui, cette réponse m'a aidé",
    feedbackDown: "Non, cette réponse ne m'a pas aidé",
    feedbackReasons: "Qu'est-ce qui n'allait pas ?",
    feedbackMissing: "Précisez si vous le souhaitez (facultatif)",
    feedbackPrivacy: "N'indiquez ni nom, ni adresse, ni numéro de téléphone.",
    feedbackSend: "Envoyer mon avis",
    feedbackCancel: "Annuler",
    feedbackThanks: "Merci pour votre avis, il nous aide à améliorer l'assistant.",
    feedbackError: "Votre avis n'a pas pu être envoyé. Réessayez dans un instant.",
    callbackOffer: "Être rappelé·e par un agent",
    callbackTitle: "Être rappelé·e par un agent de l'Agglo",
    callbackIntro: "Un agent de l'Agglo vous recontacte au sujet de votre question. Tous les champs sont obligatoires.",
    callbackName: "Votre nom",
    callbackContact: "Votre téléphone ou votre e-mail",
    callbackContactHint: "Par exemple 06 12 34 56 78 ou prenom.nom@exemple.fr",
    callbackCommune: "Votre commune",
    callbackQuestion: "Votre question",
    callbackConsent:
      "J'accepte que l'Agglo enregistre ces informations pour me rappeler au sujet de ma question. Elles sont effacées à la fin de leur durée de conservation, ou plus tôt si je le demande en donnant ma référence.",
    callbackConsentMissing: "Pour que nous puissions vous rappeler, cochez la case d'accord. Sans elle, rien n'est enregistré.",
    callbackSend: "Envoyer ma demande",
    callbackCancel: "Annuler",
    callbackSending: "Envoi de votre demande…",
    callbackDone: "Demande de rappel envoyée",
    callbackReference: "Votre référence :",
    callbackError: "Votre demande n'a pas pu être envoyée. Vérifiez votre connexion, puis réessayez.",
    callbackFix: "Corrigez les points signalés, puis envoyez de nouveau votre demande.",
  };

  // What was wrong with an answer (the 👎's reasons; bot/stores/feedback.py REASONS).
  var REASONS = [
    ["pas_compris", "Ma question n'a pas été comprise"],
    ["incomplet", "La réponse est incomplète"],
    ["inexact", "La réponse est inexacte"],
    ["pas_a_jour", "La réponse n'est pas à jour"],
    ["autre", "Autre chose"],
  ];
  // Small talk and the maintenance message are not answers: no 👍/👎 under them.
  var NO_FEEDBACK_TOPICS = ["salutation", "remerciement", "au_revoir", "identite_bot", "maintenance"];
  var CALLBACK_FIELDS = ["name", "contact", "commune", "question", "consent"];

  var MAX_MESSAGE = 500;
  var MAX_COMMENT = 1000;
  var MAX_TURNS = 60;
  var TIMEOUT_MS = 95000;
  // Web addresses (with or without http), e-mail addresses and French phone numbers, in that
  // order of preference at one position.
  var LINK_PATTERN = new RegExp(
    [
      "(https?:\\/\\/[^\\s<>\"'()]+)",
      "([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,})",
      "((?<![\\w@.\\/-])(?:www\\.)?[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*\\.(?:fr|com|org|net|eu|info)(?![\\w-])(?:\\/[^\\s<>\"'()]*)?)",
      "((?<![\\d+])(?:\\+33[\\s.]?[1-9]|0[1-9])(?:[\\s.-]?\\d{2}){4}(?!\\d)|(?<![\\d+])0[89]\\d{2}[\\s.]\\d{3}[\\s.]\\d{3}(?!\\d))",
    ].join("|"),
    "g"
  );
  var TRAILING_PUNCTUATION = /[.,;:!?»]+$/;
  // The phone layout (widget.css): the panel takes the whole window, the page behind is inert.
  var FULL_SCREEN = "(max-width: 40em), (max-height: 32em)";
  // The answer's own "Sources :" lines (agent fiches) and its closing « Source : … » line
  // (resident answers) are shown as the structured source list instead.
  var SOURCES_HEADING = /^\s*sources\s*:?\s*$/i;
  var SOURCE_SUMMARY = /^\s*sources?\s*:\s*\S/i;

  var script = document.currentScript;
  if (!script || window.__aggloChatLoaded) {
    return;
  }
  window.__aggloChatLoaded = true;

  var base = new URL(script.src, document.baseURI);
  var apiOrigin = base.origin;
  var mode = script.getAttribute("data-mode") === "agent" ? "agent" : "resident";
  var targetSelector = script.getAttribute("data-target");
  var storageKey = "agglo-chat:" + mode;
  var prefix = "agglo-chat-" + mode + "-";

  // Storage --------------------------------------------------------------------------------
  function newSender() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    var hex = "";
    for (var i = 0; i < bytes.length; i += 1) {
      hex += ("0" + bytes[i].toString(16)).slice(-2);
    }
    return "w" + hex;
  }

  function load() {
    try {
      var saved = JSON.parse(window.localStorage.getItem(storageKey) || "null");
      if (saved && typeof saved.sender === "string" && Array.isArray(saved.turns)) {
        return { sender: saved.sender, turns: saved.turns, open: saved.open === true };
      }
    } catch (error) {
      // Storage blocked or damaged: start afresh.
    }
    return { sender: newSender(), turns: [], open: false };
  }

  var state = load();

  function save() {
    state.turns = state.turns.slice(-MAX_TURNS);
    try {
      window.localStorage.setItem(storageKey, JSON.stringify(state));
    } catch (error) {
      // Private browsing: the conversation just won't survive a reload.
    }
  }

  // DOM helpers ----------------------------------------------------------------------------
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    return node;
  }

  function formActions(sendLabel, cancelLabel) {
    // A form's send and cancel buttons, and its error line (role alert).
    var actions = el("div", "agglo-chat__comment-actions");
    var submit = el("button", "agglo-chat__comment-send", sendLabel);
    submit.type = "submit";
    var cancel = el("button", "agglo-chat__comment-cancel", cancelLabel);
    cancel.type = "button";
    actions.appendChild(submit);
    actions.appendChild(cancel);
    var error = el("p", "agglo-chat__feedback-error");
    error.setAttribute("role", "alert");
    return { actions: actions, submit: submit, cancel: cancel, error: error };
  }

  function srOnly(text) {
    return el("span", "agglo-chat__sr-only", text);
  }

  function safeUrl(value) {
    try {
      var url = new URL(String(value));
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (error) {
      return null;
    }
  }

  function link(href, label) {
    var anchor = el("a", "agglo-chat__link", label);
    anchor.href = href;
    anchor.target = "_blank";
    anchor.rel = "noopener noreferrer";
    anchor.appendChild(srOnly(" " + TEXT.newTab));
    return anchor;
  }

  function localLink(href, label) {
    // tel: and mailto: open the phone or the mail application, not a new tab.
    var anchor = el("a", "agglo-chat__link", label);
    anchor.href = href;
    return anchor;
  }

  function linkFor(match, url, email, domain, phone) {
    if (url) {
      var href = safeUrl(match);
      return href ? link(href, match) : null;
    }
    if (email) {
      return localLink("mailto:" + match, match);
    }
    if (domain) {
      var web = safeUrl("https://" + match);
      return web ? link(web, match) : null;
    }
    if (phone) {
      var digits = match.replace(/[^\d+]/g, "");
      return localLink("tel:" + digits, match);
    }
    return null;
  }

  function appendLinkified(parent, line) {
    var last = 0;
    line.replace(LINK_PATTERN, function (match, url, email, domain, phone, offset) {
      var trailing = url || domain ? (match.match(TRAILING_PUNCTUATION) || [""])[0] : "";
      var candidate = match.slice(0, match.length - trailing.length);
      var node = linkFor(candidate, url, email, domain, phone);
      if (!node) {
        return match;
      }
      parent.appendChild(document.createTextNode(line.slice(last, offset)));
      parent.appendChild(node);
      last = offset + candidate.length;
      return match;
    });
    parent.appendChild(document.createTextNode(line.slice(last)));
  }

  function appendText(parent, text) {
    String(text)
      .split("\n")
      .forEach(function (line, index) {
        if (index > 0) {
          parent.appendChild(document.createElement("br"));
        }
        appendLinkified(parent, line);
      });
  }

  function frenchDate(value) {
    var parts = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(value || ""));
    return parts ? parts[3] + "/" + parts[2] + "/" + parts[1] : String(value || "");
  }

  function withoutSourceLines(text, hasSources) {
    if (!hasSources) {
      return text;
    }
    var lines = String(text).split("\n");
    for (var i = 0; i < lines.length; i += 1) {
      if (SOURCES_HEADING.test(lines[i])) {
        return lines.slice(0, i).join("\n");
      }
    }
    if (lines.length > 1 && SOURCE_SUMMARY.test(lines[lines.length - 1])) {
      return lines.slice(0, -1).join("\n");
    }
    return text;
  }

  // Layout ---------------------------------------------------------------------------------
  var target = targetSelector ? document.querySelector(targetSelector) : null;
  var inline = Boolean(target);

  if (!document.querySelector('link[data-agglo-chat]')) {
    var stylesheet = document.createElement("link");
    stylesheet.rel = "stylesheet";
    stylesheet.href = apiOrigin + "/widget.css";
    stylesheet.setAttribute("data-agglo-chat", "");
    // The layout changes once the styles apply: show the latest message again then.
    stylesheet.addEventListener("load", function () {
      showLatest();
    });
    document.head.appendChild(stylesheet);
  }

  var root = el("div", "agglo-chat agglo-chat--" + mode + (inline ? " agglo-chat--inline" : " agglo-chat--floating"));
  root.lang = "fr";

  var launcher = null;
  if (!inline) {
    launcher = el("button", "agglo-chat__launcher");
    launcher.type = "button";
    launcher.id = prefix + "launcher";
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-controls", prefix + "panel");
    var bubbleIcon = el("span", "agglo-chat__launcher-icon", "💬");
    bubbleIcon.setAttribute("aria-hidden", "true");
    launcher.appendChild(bubbleIcon);
    launcher.appendChild(el("span", "agglo-chat__launcher-text", TEXT.launcher));
    root.appendChild(launcher);
  }

  var panel = el("section", "agglo-chat__panel");
  panel.id = prefix + "panel";
  panel.setAttribute("aria-label", mode === "agent" ? TEXT.agentTitle : TEXT.title);

  var header = el("div", "agglo-chat__header");
  var closeButton = null;
  if (!inline) {
    header.appendChild(el("h2", "agglo-chat__title", TEXT.title));
    closeButton = el("button", "agglo-chat__close");
    closeButton.type = "button";
    closeButton.setAttribute("aria-label", TEXT.close);
    var cross = el("span", null, "×");
    cross.setAttribute("aria-hidden", "true");
    closeButton.appendChild(cross);
    header.appendChild(closeButton);
  }
  var tools = el("div", "agglo-chat__tools");
  var resetButton = el("button", "agglo-chat__reset", TEXT.reset);
  resetButton.type = "button";
  tools.appendChild(resetButton);
  header.appendChild(tools);
  panel.appendChild(header);

  var log = el("div", "agglo-chat__log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  log.setAttribute("aria-relevant", "additions");
  log.setAttribute("aria-label", "Conversation");
  log.tabIndex = 0; // scrollable: reachable with the keyboard
  panel.appendChild(log);

  var typing = el("div", "agglo-chat__typing");
  typing.setAttribute("role", "status");
  panel.appendChild(typing);

  var alertBox = el("div", "agglo-chat__alert");
  alertBox.setAttribute("role", "alert");
  panel.appendChild(alertBox);

  var form = el("form", "agglo-chat__form");
  form.noValidate = true;
  var label = el("label", "agglo-chat__label", TEXT.inputLabel);
  label.htmlFor = prefix + "input";
  var input = el("textarea", "agglo-chat__input");
  input.id = prefix + "input";
  input.name = "message";
  input.rows = 2;
  input.autocomplete = "off";
  input.setAttribute("aria-describedby", prefix + "hint " + prefix + "counter");
  var hint = el("p", "agglo-chat__hint", TEXT.inputHint);
  hint.id = prefix + "hint";
  var counter = el("p", "agglo-chat__counter", TEXT.counter(0, MAX_MESSAGE));
  counter.id = prefix + "counter";
  var notice = el("p", "agglo-chat__notice");
  notice.id = prefix + "notice";
  notice.setAttribute("aria-live", "polite");
  var sendButton = el("button", "agglo-chat__send", TEXT.send);
  sendButton.type = "submit";
  var row = el("div", "agglo-chat__row");
  row.appendChild(input);
  row.appendChild(sendButton);
  form.appendChild(label);
  form.appendChild(row);
  var meta = el("div", "agglo-chat__meta");
  meta.appendChild(hint);
  meta.appendChild(counter);
  form.appendChild(meta);
  form.appendChild(notice);
  panel.appendChild(form);
  root.appendChild(panel);

  // Rendering ------------------------------------------------------------------------------
  function renderUser(turn) {
    var item = el("div", "agglo-chat__msg agglo-chat__msg--user");
    var bubble = el("p", "agglo-chat__bubble");
    bubble.appendChild(srOnly(TEXT.you + " "));
    appendText(bubble, turn.text);
    item.appendChild(bubble);
    return item;
  }

  function renderSources(sources) {
    // Collapsed under the answer: the answer stays short, its sources one click away.
    var box = el("details", "agglo-chat__sources");
    var title = (sources.length > 1 ? TEXT.sources : TEXT.source) + " (" + sources.length + ")";
    box.appendChild(el("summary", "agglo-chat__sources-title", title));
    var list = el("ul", "agglo-chat__sources-list");
    sources.forEach(function (source) {
      var entry = el("li", "agglo-chat__source");
      var href = safeUrl(source.url);
      var title = String(source.title || source.url || "");
      entry.appendChild(href ? link(href, title) : el("span", null, title));
      if (source.verified_on) {
        entry.appendChild(el("span", "agglo-chat__verified", " – " + TEXT.verifiedOn + " " + frenchDate(source.verified_on)));
      }
      list.appendChild(entry);
    });
    box.appendChild(list);
    return box;
  }

  function renderButtons(buttons) {
    var group = el("div", "agglo-chat__buttons");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", TEXT.suggestions);
    buttons.forEach(function (button) {
      var choice = el("button", "agglo-chat__choice", button.title);
      choice.type = "button";
      choice.addEventListener("click", function () {
        send(String(button.payload || button.title), String(button.title || button.payload), button.signature);
      });
      group.appendChild(choice);
    });
    return group;
  }

  function renderFeedback(turn, container) {
    container.textContent = "";
    if (turn.feedback) {
      var thanks = el("p", "agglo-chat__thanks", TEXT.feedbackThanks);
      thanks.setAttribute("role", "status");
      container.appendChild(thanks);
      return;
    }
    var group = el("div", "agglo-chat__rate");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", TEXT.feedbackQuestion);
    var question = el("span", "agglo-chat__rate-question", TEXT.feedbackQuestion);
    question.setAttribute("aria-hidden", "true");
    group.appendChild(question);
    var up = el("button", "agglo-chat__rate-button agglo-chat__rate-button--up", "👍");
    up.type = "button";
    up.setAttribute("aria-label", TEXT.feedbackUp);
    var down = el("button", "agglo-chat__rate-button agglo-chat__rate-button--down", "👎");
    down.type = "button";
    down.setAttribute("aria-label", TEXT.feedbackDown);
    group.appendChild(up);
    group.appendChild(down);
    container.appendChild(group);
    var error = el("p", "agglo-chat__feedback-error");
    error.setAttribute("role", "alert");
    container.appendChild(error);

    up.addEventListener("click", function () {
      postFeedback(turn, "up", null, container, error);
    });
    down.addEventListener("click", function () {
      askWhatWasMissing(turn, container);
    });
  }

  function askWhatWasMissing(turn, container) {
    container.textContent = "";
    var feedbackForm = el("form", "agglo-chat__comment");
    var id = prefix + "comment-" + turn.id;
    var reasons = el("fieldset", "agglo-chat__reasons");
    reasons.appendChild(el("legend", "agglo-chat__label", TEXT.feedbackReasons));
    REASONS.forEach(function (reason) {
      var option = el("label", "agglo-chat__reason");
      var radio = el("input", "agglo-chat__reason-input");
      radio.type = "radio";
      radio.name = id + "-reason";
      radio.value = reason[0];
      option.appendChild(radio);
      option.appendChild(el("span", null, reason[1]));
      reasons.appendChild(option);
    });
    feedbackForm.appendChild(reasons);
    var commentLabel = el("label", "agglo-chat__label", TEXT.feedbackMissing);
    commentLabel.htmlFor = id;
    var comment = el("textarea", "agglo-chat__comment-input");
    comment.id = id;
    comment.rows = 2;
    comment.maxLength = MAX_COMMENT;
    comment.setAttribute("aria-describedby", id + "-privacy");
    var privacy = el("p", "agglo-chat__hint", TEXT.feedbackPrivacy);
    privacy.id = id + "-privacy";
    var buttons = formActions(TEXT.feedbackSend, TEXT.feedbackCancel);
    var actions = buttons.actions;
    var cancel = buttons.cancel;
    var error = buttons.error;
    feedbackForm.appendChild(commentLabel);
    feedbackForm.appendChild(comment);
    feedbackForm.appendChild(privacy);
    feedbackForm.appendChild(actions);
    feedbackForm.appendChild(error);
    container.appendChild(feedbackForm);
    reasons.querySelector("input").focus();

    feedbackForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var chosen = feedbackForm.querySelector(".agglo-chat__reason-input:checked");
      postFeedback(turn, "down", comment.value.trim() || null, container, error, chosen ? chosen.value : null);
    });
    cancel.addEventListener("click", function () {
      renderFeedback(turn, container);
      var downButton = container.querySelector(".agglo-chat__rate-button--down");
      if (downButton) {
        downButton.focus();
      }
    });
    feedbackForm.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        event.stopPropagation();
        cancel.click();
      }
    });
  }

  function renderBot(turn) {
    var item = el("div", "agglo-chat__msg agglo-chat__msg--bot");
    var hasSources = Array.isArray(turn.sources) && turn.sources.length > 0;
    var texts = Array.isArray(turn.texts) ? turn.texts : [];
    texts.forEach(function (text, index) {
      var bubble = el("p", "agglo-chat__bubble");
      if (index === 0) {
        bubble.appendChild(srOnly(TEXT.bot + " "));
      }
      appendText(bubble, withoutSourceLines(text, hasSources));
      item.appendChild(bubble);
    });
    if (Array.isArray(turn.buttons) && turn.buttons.length) {
      item.appendChild(renderButtons(turn.buttons));
    }
    if (hasSources) {
      item.appendChild(renderSources(turn.sources));
    }
    if (turn.offerCallback && mode === "resident") {
      var callbackBox = el("div", "agglo-chat__callback-box");
      renderCallbackOffer(turn, callbackBox);
      item.appendChild(callbackBox);
    }
    if (wantsFeedback(turn)) {
      var feedback = el("div", "agglo-chat__feedback");
      renderFeedback(turn, feedback);
      item.appendChild(feedback);
    }
    return item;
  }

  function wantsFeedback(turn) {
    // Only under answers: a turn with a topic that is not small talk, and not refused by its payload.
    return (
      !turn.welcome &&
      Array.isArray(turn.texts) &&
      turn.texts.length > 0 &&
      typeof turn.topic === "string" &&
      NO_FEEDBACK_TOPICS.indexOf(turn.topic) === -1 &&
      turn.feedbackAllowed !== false
    );
  }

  // Callback requests ----------------------------------------------------------------------
  var communesRequest = null;

  function communeList(id) {
    var list = el("datalist");
    list.id = id;
    if (!communesRequest) {
      communesRequest = fetch(apiOrigin + "/api/communes", { credentials: "same-origin" })
        .then(function (response) {
          return response.ok ? response.json() : [];
        })
        .catch(function () {
          communesRequest = null;
          return [];
        });
    }
    communesRequest.then(function (communes) {
      (Array.isArray(communes) ? communes : []).forEach(function (commune) {
        var option = document.createElement("option");
        option.value = String(commune && commune.name ? commune.name : "");
        list.appendChild(option);
      });
    });
    return list;
  }

  function lastQuestion() {
    for (var i = state.turns.length - 1; i >= 0; i -= 1) {
      if (state.turns[i].role === "user" && state.turns[i].text) {
        return String(state.turns[i].text).slice(0, 1000);
      }
    }
    return "";
  }

  function renderCallbackOffer(turn, container) {
    container.textContent = "";
    if (turn.callback) {
      renderCallbackDone(turn.callback, container);
      return;
    }
    var offer = el("button", "agglo-chat__callback-offer", TEXT.callbackOffer);
    offer.type = "button";
    offer.addEventListener("click", function () {
      openCallbackForm(turn, container);
    });
    container.appendChild(offer);
  }

  function renderCallbackDone(done, container) {
    container.textContent = "";
    var box = el("div", "agglo-chat__callback-done");
    box.setAttribute("role", "status");
    box.appendChild(el("p", "agglo-chat__callback-title", TEXT.callbackDone));
    var reference = el("p", "agglo-chat__callback-reference", TEXT.callbackReference + " ");
    reference.appendChild(el("strong", null, done.reference));
    box.appendChild(reference);
    box.appendChild(el("p", null, done.confirmation));
    box.appendChild(el("p", null, done.delay));
    container.appendChild(box);
  }

  function field(form, id, name, labelText, control, hint) {
    var wrapper = el("div", "agglo-chat__field");
    var fieldLabel = el("label", "agglo-chat__label", labelText);
    fieldLabel.htmlFor = id;
    control.id = id;
    control.name = name;
    control.required = true;
    wrapper.appendChild(fieldLabel);
    var described = [];
    if (hint) {
      var hintNode = el("p", "agglo-chat__hint", hint);
      hintNode.id = id + "-hint";
      described.push(hintNode.id);
      wrapper.appendChild(hintNode);
    }
    wrapper.appendChild(control);
    var fieldError = el("p", "agglo-chat__field-error");
    fieldError.id = id + "-error";
    wrapper.appendChild(fieldError);
    described.push(fieldError.id);
    control.setAttribute("aria-describedby", described.join(" "));
    form.appendChild(wrapper);
    return { control: control, error: fieldError };
  }

  function openCallbackForm(turn, container) {
    container.textContent = "";
    var id = prefix + "callback-" + turn.id;
    var callbackForm = el("form", "agglo-chat__callback");
    callbackForm.noValidate = true;
    callbackForm.setAttribute("aria-labelledby", id + "-title");
    var title = el("h3", "agglo-chat__callback-title", TEXT.callbackTitle);
    title.id = id + "-title";
    title.tabIndex = -1;
    callbackForm.appendChild(title);
    callbackForm.appendChild(el("p", "agglo-chat__hint", TEXT.callbackIntro));
    var fields = {};
    var name = el("input", "agglo-chat__text-input");
    name.type = "text";
    name.autocomplete = "name";
    name.maxLength = 100;
    fields.name = field(callbackForm, id + "-name", "name", TEXT.callbackName, name);
    var contact = el("input", "agglo-chat__text-input");
    contact.type = "text";
    contact.autocomplete = "tel";
    contact.maxLength = 254;
    fields.contact = field(callbackForm, id + "-contact", "contact", TEXT.callbackContact, contact, TEXT.callbackContactHint);
    var commune = el("input", "agglo-chat__text-input");
    commune.type = "text";
    commune.autocomplete = "address-level2";
    commune.setAttribute("list", id + "-communes");
    fields.commune = field(callbackForm, id + "-commune", "commune", TEXT.callbackCommune, commune);
    callbackForm.appendChild(communeList(id + "-communes"));
    var question = el("textarea", "agglo-chat__comment-input");
    question.rows = 3;
    question.maxLength = 1000;
    question.value = lastQuestion();
    fields.question = field(callbackForm, id + "-question", "question", TEXT.callbackQuestion, question);
    var consentWrapper = el("div", "agglo-chat__field agglo-chat__consent");
    var consent = el("input", "agglo-chat__consent-input");
    consent.type = "checkbox";
    consent.id = id + "-consent";
    consent.name = "consent";
    var consentLabel = el("label", null, TEXT.callbackConsent);
    consentLabel.htmlFor = consent.id;
    var consentError = el("p", "agglo-chat__field-error");
    consentError.id = consent.id + "-error";
    consent.setAttribute("aria-describedby", consentError.id);
    consentWrapper.appendChild(consent);
    consentWrapper.appendChild(consentLabel);
    consentWrapper.appendChild(consentError);
    callbackForm.appendChild(consentWrapper);
    fields.consent = { control: consent, error: consentError };
    var buttons = formActions(TEXT.callbackSend, TEXT.callbackCancel);
    var summary = buttons.error;
    var submit = buttons.submit;
    var cancel = buttons.cancel;
    callbackForm.appendChild(buttons.actions);
    callbackForm.appendChild(summary);
    container.appendChild(callbackForm);
    name.focus();

    function showErrors(errors, message) {
      var first = null;
      CALLBACK_FIELDS.forEach(function (key) {
        var said = errors && typeof errors[key] === "string" ? errors[key] : "";
        fields[key].error.textContent = said;
        if (said) {
          fields[key].control.setAttribute("aria-invalid", "true");
          first = first || fields[key].control;
        } else {
          fields[key].control.removeAttribute("aria-invalid");
        }
      });
      summary.textContent = message || "";
      if (first) {
        first.focus();
      }
    }

    callbackForm.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!consent.checked) {
        // Nothing leaves the browser without the resident's consent.
        showErrors({ consent: TEXT.callbackConsentMissing }, TEXT.callbackFix);
        return;
      }
      showErrors({}, TEXT.callbackSending);
      submit.disabled = true;
      post("/api/callback", {
        sender: state.sender,
        name: name.value,
        contact: contact.value,
        commune: commune.value,
        question: question.value,
        topic: turn.topic,
        consent: true,
      })
        .then(function (response) {
          return response
            .json()
            .catch(function () {
              return {};
            })
            .then(function (body) {
              if (response.status === 201 && body && body.reference) {
                turn.callback = {
                  reference: String(body.reference),
                  confirmation: String(body.confirmation || ""),
                  delay: String(body.delay || ""),
                };
                save();
                renderCallbackDone(turn.callback, container);
                container.querySelector(".agglo-chat__callback-done").tabIndex = -1;
                container.querySelector(".agglo-chat__callback-done").focus();
                return;
              }
              if (response.status === 400 && body && body.errors) {
                showErrors(body.errors, TEXT.callbackFix);
                return;
              }
              var said = body && typeof body.message === "string" ? body.message : "";
              showErrors({}, said || TEXT.callbackError);
            });
        })
        .catch(function () {
          showErrors({}, TEXT.callbackError);
        })
        .finally(function () {
          submit.disabled = false;
        });
    });
    cancel.addEventListener("click", function () {
      renderCallbackOffer(turn, container);
      container.querySelector("button").focus();
    });
    callbackForm.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        event.stopPropagation();
        cancel.click();
      }
    });
  }

  function render(turn) {
    return turn.role === "user" ? renderUser(turn) : renderBot(turn);
  }

  // While the assistant is paused (GET /api/status): its message, the contact and the callback offer.
  var maintenanceTurn = null;

  function renderAll() {
    log.textContent = "";
    log.appendChild(renderBot({ welcome: true, texts: [mode === "agent" ? TEXT.welcomeAgent : TEXT.welcome] }));
    if (maintenanceTurn) {
      log.appendChild(renderBot(maintenanceTurn));
    }
    state.turns.forEach(function (turn) {
      log.appendChild(render(turn));
    });
    showLatest();
  }

  function showLatest() {
    // The latest exchange: the question and the answer's beginning (long answers, agent fiches),
    // or the latest message. The log is positioned, so offsetTop is measured from its top.
    var item = log.lastElementChild;
    if (!item) {
      return;
    }
    var previous = item.previousElementSibling;
    var anchor =
      item.classList.contains("agglo-chat__msg--bot") && previous && previous.classList.contains("agglo-chat__msg--user")
        ? previous
        : item;
    log.scrollTop = Math.max(0, anchor.offsetTop - 8);
  }

  function append(turn) {
    state.turns.push(turn);
    save();
    log.appendChild(render(turn));
    showLatest();
  }

  function botTurn(replies, question) {
    var turn = {
      role: "bot",
      id: Date.now().toString(36) + Math.random().toString(36).slice(2, 6),
      question: question,
      texts: [],
      buttons: [],
      sources: [],
      topic: null,
      facts: [],
      offerCallback: false,
    };
    (Array.isArray(replies) ? replies : []).forEach(function (reply) {
      if (!reply || typeof reply !== "object") {
        return;
      }
      if (typeof reply.text === "string" && reply.text) {
        turn.texts.push(reply.text);
      }
      if (Array.isArray(reply.buttons)) {
        reply.buttons.forEach(function (button) {
          if (button && (button.title || button.payload)) {
            turn.buttons.push({
              title: String(button.title || button.payload),
              payload: String(button.payload || button.title),
              // The server's proof that it offered this button in this conversation.
              signature: typeof button.signature === "string" ? button.signature : undefined,
            });
          }
        });
      }
      var custom = reply.custom;
      if (custom && typeof custom === "object") {
        if (typeof custom.topic === "string") {
          turn.topic = custom.topic;
        }
        if (custom.offer_callback === true) {
          turn.offerCallback = true;
        }
        if (custom.feedback === false) {
          turn.feedbackAllowed = false;
        }
        if (Array.isArray(custom.facts)) {
          custom.facts.forEach(function (fact) {
            if (typeof fact === "string" && turn.facts.length < 20) {
              turn.facts.push(fact);
            }
          });
        }
        if (Array.isArray(custom.sources)) {
          custom.sources.forEach(function (source) {
            if (source && typeof source === "object") {
              turn.sources.push({
                title: String(source.title || ""),
                url: String(source.url || ""),
                verified_on: String(source.verified_on || ""),
              });
            }
          });
        }
      }
    });
    if (!turn.texts.length) {
      turn.texts.push(TEXT.emptyReply);
    }
    return turn;
  }

  // Network --------------------------------------------------------------------------------
  function headers() {
    var result = { "Content-Type": "application/json" };
    var token = document.querySelector('meta[name="agglo-csrf-token"]');
    if (token && apiOrigin === window.location.origin) {
      result["X-CSRF-Token"] = token.getAttribute("content") || "";
    }
    return result;
  }

  function post(path, body) {
    var controller = new AbortController();
    var timer = window.setTimeout(function () {
      controller.abort();
    }, TIMEOUT_MS);
    return fetch(apiOrigin + path, {
      method: "POST",
      headers: headers(),
      body: JSON.stringify(body),
      signal: controller.signal,
      credentials: "same-origin",
    }).finally(function () {
      window.clearTimeout(timer);
    });
  }

  var busy = false;
  var pending = null;

  function setBusy(value) {
    busy = value;
    sendButton.disabled = value;
    typing.textContent = "";
    typing.classList.toggle("agglo-chat__typing--on", value);
    if (value) {
      typing.appendChild(el("span", "agglo-chat__typing-text", TEXT.typing));
      var dots = el("span", "agglo-chat__dots");
      dots.setAttribute("aria-hidden", "true");
      for (var i = 0; i < 3; i += 1) {
        dots.appendChild(el("span", "agglo-chat__dot"));
      }
      typing.appendChild(dots);
    }
  }

  function showAlert(message, withRetry) {
    alertBox.textContent = "";
    alertBox.classList.add("agglo-chat__alert--on");
    alertBox.appendChild(el("p", "agglo-chat__alert-text", message));
    if (withRetry) {
      var retry = el("button", "agglo-chat__retry", TEXT.retry);
      retry.type = "button";
      retry.addEventListener("click", function () {
        deliver();
      });
      alertBox.appendChild(retry);
    }
  }

  function hideAlert() {
    alertBox.textContent = "";
    alertBox.classList.remove("agglo-chat__alert--on");
  }

  function showNotice(message, warning) {
    notice.textContent = message;
    notice.classList.toggle("agglo-chat__notice--warning", Boolean(warning));
  }

  function deliver() {
    if (!pending || busy) {
      return Promise.resolve();
    }
    hideAlert();
    setBusy(true);
    var current = pending;
    var body = { sender: state.sender, message: current.message };
    if (current.signature) {
      body.button_signature = current.signature;
    }
    return post("/api/chat", body)
      .then(function (response) {
        if (response.status === 413) {
          pending = null;
          showNotice(TEXT.tooLong(MAX_MESSAGE), true);
          return;
        }
        if (response.status === 429) {
          // Too many messages from this address (the production proxy's rate limit): its own
          // French message when it sends one; the message is kept so that « Réessayer » resends it.
          return response
            .json()
            .catch(function () {
              return {};
            })
            .then(function (body) {
              var said = body && typeof body.message === "string" ? body.message : "";
              showAlert(said || TEXT.tooMany, true);
            });
        }
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json().then(function (replies) {
          pending = null;
          append(botTurn(replies, current.display));
        });
      })
      .catch(function () {
        showAlert(TEXT.unreachable, true);
      })
      .finally(function () {
        setBusy(false);
      });
  }

  function send(message, display, signature) {
    var text = String(message || "").trim();
    if (!text || busy) {
      return;
    }
    if (text.length > MAX_MESSAGE) {
      showNotice(TEXT.tooLong(MAX_MESSAGE), true);
      return;
    }
    showNotice("");
    append({ role: "user", text: display || text });
    pending = { message: text, display: display || text, signature: signature };
    deliver();
  }

  function postFeedback(turn, rating, comment, container, error, reason) {
    error.textContent = "";
    return post("/api/feedback", {
      rating: rating,
      comment: comment,
      reason: reason || null,
      topic: turn.topic,
      facts: Array.isArray(turn.facts) ? turn.facts : [],
      message: turn.question || "",
      answer: (turn.texts || []).join("\n"),
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        turn.feedback = rating;
        save();
        renderFeedback(turn, container);
      })
      .catch(function () {
        error.textContent = TEXT.feedbackError;
      });
  }

  // Behaviour ------------------------------------------------------------------------------
  function updateCounter() {
    var count = input.value.length;
    counter.textContent = TEXT.counter(count, MAX_MESSAGE);
    counter.classList.toggle("agglo-chat__counter--over", count > MAX_MESSAGE);
    if (count > MAX_MESSAGE) {
      showNotice(TEXT.tooLong(MAX_MESSAGE), true);
    } else if (notice.textContent && count <= MAX_MESSAGE) {
      showNotice("");
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) {
      return;
    }
    if (text.length > MAX_MESSAGE) {
      showNotice(TEXT.tooLong(MAX_MESSAGE), true);
      input.focus();
      return;
    }
    if (busy) {
      return;
    }
    input.value = "";
    updateCounter();
    send(text);
    input.focus();
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });
  input.addEventListener("input", updateCounter);

  resetButton.addEventListener("click", function () {
    state = { sender: newSender(), turns: [], open: state.open };
    pending = null;
    save();
    hideAlert();
    renderAll();
    showNotice(TEXT.resetDone);
    input.focus();
  });

  function setOpen(open, moveFocus) {
    if (inline) {
      return;
    }
    state.open = open;
    save();
    panel.hidden = !open;
    launcher.hidden = open;
    launcher.setAttribute("aria-expanded", open ? "true" : "false");
    root.classList.toggle("agglo-chat--open", open);
    updateModal();
    if (open) {
      showLatest();
    }
    if (moveFocus) {
      (open ? input : launcher).focus();
    }
  }

  // Full screen (phones): a modal dialog. Tab stays inside, and the page behind is inert.
  var fullScreen = window.matchMedia ? window.matchMedia(FULL_SCREEN) : null;
  var madeInert = [];

  function updateModal() {
    var modal = !inline && state.open && Boolean(fullScreen && fullScreen.matches);
    madeInert.forEach(function (node) {
      node.inert = false;
    });
    madeInert = [];
    if (modal) {
      Array.prototype.forEach.call(document.body.children, function (node) {
        if (node !== root && !node.inert && node.tagName !== "SCRIPT") {
          node.inert = true;
          madeInert.push(node);
        }
      });
      panel.setAttribute("role", "dialog");
      panel.setAttribute("aria-modal", "true");
    } else {
      panel.removeAttribute("role");
      panel.removeAttribute("aria-modal");
    }
    return modal;
  }

  function focusable() {
    var candidates = panel.querySelectorAll(
      'a[href], button:not([disabled]), textarea:not([disabled]), input:not([disabled]), select:not([disabled]), summary, [tabindex="0"]'
    );
    return Array.prototype.filter.call(candidates, function (node) {
      return node.offsetParent !== null || node === document.activeElement;
    });
  }

  if (!inline) {
    launcher.addEventListener("click", function () {
      setOpen(true, true);
      checkStatus();
    });
    closeButton.addEventListener("click", function () {
      setOpen(false, true);
    });
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        setOpen(false, true);
        return;
      }
      if (event.key !== "Tab" || panel.getAttribute("aria-modal") !== "true") {
        return;
      }
      var nodes = focusable();
      if (!nodes.length) {
        return;
      }
      var first = nodes[0];
      var last = nodes[nodes.length - 1];
      if (event.shiftKey && (document.activeElement === first || !panel.contains(document.activeElement))) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && document.activeElement === last) {
        event.preventDefault();
        first.focus();
      }
    });
    if (fullScreen) {
      var onChange = function () {
        updateModal();
      };
      if (fullScreen.addEventListener) {
        fullScreen.addEventListener("change", onChange);
      } else if (fullScreen.addListener) {
        fullScreen.addListener(onChange);
      }
    }
    // The page's own questions (the demo page's frequent-question cards): open and ask.
    if (mode === "resident") {
      document.addEventListener("click", function (event) {
        var asker = event.target && event.target.closest ? event.target.closest("[data-agglo-question]") : null;
        if (!asker || root.contains(asker)) {
          return;
        }
        event.preventDefault();
        var question = String(asker.getAttribute("data-agglo-question") || "").trim();
        setOpen(true, true);
        if (question) {
          send(question);
        }
      });
    }
  }

  function checkStatus() {
    if (mode !== "resident") {
      return;
    }
    fetch(apiOrigin + "/api/status", { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (status) {
        var paused = Boolean(status && status.maintenance === true);
        var turn = paused ? botTurn(status.replies, "") : null;
        if (Boolean(turn) !== Boolean(maintenanceTurn)) {
          maintenanceTurn = turn;
          if (turn) {
            maintenanceTurn.id = "maintenance";
          }
          renderAll();
        }
      })
      .catch(function () {
        // The chat itself says when the server cannot be reached.
      });
  }

  if (inline) {
    target.appendChild(root);
  } else {
    panel.hidden = !state.open;
    launcher.hidden = state.open;
    launcher.setAttribute("aria-expanded", state.open ? "true" : "false");
    root.classList.toggle("agglo-chat--open", state.open);
    document.body.appendChild(root);
    updateModal();
  }
  // Rendered once in the page, so that the log can be scrolled to the latest message.
  renderAll();
  checkStatus();
})();
