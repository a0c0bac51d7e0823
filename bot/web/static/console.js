/* Agents' console (no inline script: the CSP forbids it).
 *
 * - « Imprimer la fiche », and the menu button of small screens.
 * - The Agglomobile (issue 17): registers the service worker (sw.js) that keeps a copy of the
 *   console on the device, asks it to sync, and says in the header whether the console is
 *   online, since when it is offline, which knowledge base the pages come from and when they
 *   were last refreshed. Back online, a page made from an older knowledge base is reloaded.
 * - Offline, the copies of the search and commune-lookup pages answer from the index
 *   (agglomobile.js), and a street is checked against the commune's street lists.
 * - Actions taken offline (a note, a status change on a callback request, a 👍/👎 in the agent
 *   chat) wait in IndexedDB and are sent in order, each once (a change id), when the network
 *   is back; a conflict (another agent changed the request) stays listed until the agent
 *   decides. Logging out drops the copy and the waiting actions.
 */
/* global Agglomobile */
(function () {
  "use strict";

  var A = window.Agglomobile;
  var root = document.documentElement;
  var isCopy = root.hasAttribute("data-offline-copy");
  var csrfMeta = document.querySelector('meta[name="agglo-csrf-token"]');
  var kbMeta = document.querySelector('meta[name="agglo-kb-version"]');
  var pageVersion = kbMeta ? kbMeta.getAttribute("content") : null;
  // A console page: the live ones carry the knowledge base's version, the copies say they are.
  var consolePage = Boolean(csrfMeta && (kbMeta || isCopy));
  var OFFLINE_SINCE = "agglomobile.offlineSince";
  var RELOADED = "agglomobile.reloadedAt";
  var INDEX_URL = "/console/api/offline/index";
  var SEARCH_RESULTS = 20;
  // Sent actions stay listed this long, then are forgotten.
  var SENT_KEPT_MS = 10 * 60 * 1000;
  var CHECK_EVERY_MS = 2 * 60 * 1000;
  var RETRY_EVERY_MS = 10 * 1000;
  // The last attempt to reach the server (an action, the pages' update) failed for want of a network.
  var unreachable = false;
  var canKeep = consolePage && A && "serviceWorker" in navigator && "indexedDB" in window && "caches" in window;

  function $(selector, scope) {
    return (scope || document).querySelector(selector);
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = text;
    }
    return node;
  }

  function clock(ms) {
    return new Date(ms).toLocaleTimeString("fr-FR", { hour: "2-digit", minute: "2-digit" });
  }

  function day(ms) {
    return new Date(ms).toLocaleDateString("fr-FR") + " à " + clock(ms);
  }

  function csrf() {
    return csrfMeta ? csrfMeta.getAttribute("content") || "" : "";
  }

  // Print and menu ------------------------------------------------------------------------------
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest('[data-action="print"]') : null;
    if (button) {
      window.print();
    }
  });

  var menuButton = $(".console-menu-button");
  var menu = $("#console-menu");
  if (menuButton && menu) {
    root.classList.add("has-menu-button");
    menuButton.addEventListener("click", function () {
      var open = menuButton.getAttribute("aria-expanded") !== "true";
      menuButton.setAttribute("aria-expanded", String(open));
      menu.classList.toggle("is-open", open);
    });
  }

  var LOGOUT_PENDING = "agglomobile.logoutPending";
  if (!consolePage) {
    // The login page: no session any more, so no logout left to tell the server.
    window.localStorage.removeItem(LOGOUT_PENDING);
    return;
  }

  // Status line ---------------------------------------------------------------------------------
  var networkLine = $("[data-network]");
  var kbLine = $("[data-kb]");
  var syncLine = $("[data-sync]");
  var lastSync = null;

  function show(node, text) {
    if (!node) {
      return;
    }
    node.textContent = text || "";
    node.hidden = !text;
  }

  function offlineSince() {
    var stored = Number(window.localStorage.getItem(OFFLINE_SINCE));
    return stored || null;
  }

  function showNetwork() {
    if (navigator.onLine && !isCopy) {
      window.localStorage.removeItem(OFFLINE_SINCE);
      show(networkLine, "En ligne");
      root.classList.remove("is-offline");
      return;
    }
    if (!offlineSince()) {
      window.localStorage.setItem(OFFLINE_SINCE, String(Date.now()));
    }
    var since = offlineSince();
    show(networkLine, navigator.onLine ? "Réseau indisponible depuis " + clock(since) : "Hors ligne depuis " + clock(since));
    root.classList.add("is-offline");
  }

  function showSync(info) {
    if (!info || !info.kb_version) {
      return;
    }
    lastSync = info;
    if (kbLine && info.built_at) {
      var copy = isCopy ? " (copie enregistrée sur cet appareil)" : "";
      show(kbLine, "Base de connaissances du " + day(Date.parse(info.built_at)) + copy);
    }
    var when = info.synced_at || info.checked_at;
    var text = "Prête hors ligne : " + info.pages + " pages enregistrées";
    if (when) {
      text += ", mises à jour à " + clock(info.checked_at || when);
    }
    show(syncLine, text);
  }

  window.addEventListener("online", function () {
    showNetwork();
    backOnline();
  });
  window.addEventListener("offline", showNetwork);
  showNetwork();

  // Service worker and sync ----------------------------------------------------------------------
  function worker() {
    return navigator.serviceWorker.ready.then(function (registration) {
      return registration.active;
    });
  }

  function askSync() {
    if (!canKeep || !navigator.onLine) {
      return;
    }
    worker().then(function (active) {
      if (active) {
        active.postMessage({ type: "sync", csrf: csrf() });
      }
    });
  }

  function recentlyReloaded() {
    return Date.now() - Number(window.sessionStorage.getItem(RELOADED) || 0) < 15000;
  }

  function typing() {
    var active = document.activeElement;
    return Boolean(active && /^(TEXTAREA|INPUT)$/.test(active.tagName) && active.value);
  }

  function reloadIfOlder(info) {
    // Back online: never leave a page older than the live content on screen.
    var older = isCopy || (pageVersion && info.kb_version !== pageVersion);
    if (!older || !navigator.onLine || recentlyReloaded()) {
      return;
    }
    if (typing()) {
      show(syncLine, "La base a été mise à jour : rechargez la page quand vous aurez fini.");
      return;
    }
    // Never while actions are being sent: a reload would cut a request the server may have
    // recorded, and the next page would send it again.
    (flushing || Promise.resolve()).then(function () {
      window.sessionStorage.setItem(RELOADED, String(Date.now()));
      window.location.reload();
    });
  }

  if (canKeep) {
    navigator.serviceWorker.addEventListener("message", function (event) {
      var data = event.data || {};
      if (data.type === "synced") {
        showSync(data);
        var changed = data.changed && data.changed.length;
        if (changed) {
          show(syncLine, "Mis à jour à " + clock(data.synced_at) + " : " + data.changed.length + " page" + (data.changed.length > 1 ? "s" : "") + " rafraîchie" + (data.changed.length > 1 ? "s" : ""));
        } else {
          show(syncLine, "À jour (vérifié à " + clock(data.checked_at) + ")");
        }
        root.setAttribute("data-synced", String(data.synced_at));
        reloadIfOlder(data);
      } else if (data.type === "described") {
        showSync(data);
      } else if (data.type === "sync-failed") {
        unreachable = true;
        show(syncLine, lastSync ? "Mise à jour impossible pour l'instant : pages du " + day(lastSync.synced_at) : "Mise à jour impossible pour l'instant");
      } else if (data.type === "purged" && data.reason !== "new-session" && isCopy) {
        window.location.replace("/console/offline");
      }
    });
    navigator.serviceWorker
      .register("/console/sw.js", { scope: "/console" })
      .then(function () {
        return worker();
      })
      .then(function (active) {
        if (active) {
          active.postMessage({ type: "describe" });
        }
        if (window.localStorage.getItem(LOGOUT_PENDING) && navigator.onLine && !isCopy) {
          finishLogout();
          return;
        }
        flush().then(askSync);
      })
      .catch(function () {
        show(syncLine, "Cet appareil ne peut pas garder la console hors ligne.");
      });
    window.setInterval(function () {
      if (navigator.onLine) {
        flush().then(askSync);
      }
    }, CHECK_EVERY_MS);
    // After a failed attempt, or on a page from the copy, try again sooner: the browser does not
    // always tell when the network comes back (navigator.onLine may have stayed true).
    window.setInterval(function () {
      if (navigator.onLine && (unreachable || isCopy)) {
        flush().then(askSync);
      }
    }, RETRY_EVERY_MS);
  }

  function backOnline() {
    if (canKeep) {
      flush().then(askSync);
    }
  }

  // The index (search, communes, streets) --------------------------------------------------------
  var indexRequest = null;

  function loadIndex() {
    if (!indexRequest) {
      indexRequest = fetch(INDEX_URL, { credentials: "same-origin" }).then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      });
    }
    return indexRequest;
  }

  var params = new URLSearchParams(window.location.search);

  function appendPieces(parent, pieces) {
    pieces.forEach(function (piece) {
      if (piece[1]) {
        parent.appendChild(el("mark", null, piece[0]));
      } else {
        parent.appendChild(document.createTextNode(piece[0]));
      }
    });
  }

  /* The search page's copy answers the query from the index: the server's results, grouped by
   * fiche, the words found marked (templates/search.html). */
  function offlineSearch(container, query) {
    var input = $("#console-q");
    if (input) {
      input.value = query;
    }
    document.title = "Recherche « " + query + " » – Console des agents – Agglo Assistant";
    loadIndex().then(function (index) {
      var hits = A.search(index.search, query, SEARCH_RESULTS);
      var searched = A.searchWords(query);
      container.textContent = "";
      container.appendChild(el("h1", null, "Résultats pour « " + query + " »"));
      if (!hits.length) {
        var none = el("p", null, "Aucun résultat. Essayez un autre mot-clé ou parcourez les ");
        none.setAttribute("role", "status");
        var home = el("a", null, "fiches par thème");
        home.href = "/console";
        none.appendChild(home);
        none.appendChild(document.createTextNode("."));
        container.appendChild(none);
        return;
      }
      var groups = [];
      var bySlug = {};
      hits.forEach(function (hit) {
        var slug = hit.entry[0];
        if (!bySlug[slug]) {
          bySlug[slug] = { slug: slug, lines: [] };
          groups.push(bySlug[slug]);
        }
        bySlug[slug].lines.push(hit.entry);
      });
      var count = el(
        "p",
        "result-count",
        hits.length + " résultat" + (hits.length > 1 ? "s" : "") + " dans " + groups.length + " fiche" + (groups.length > 1 ? "s" : "") + " (recherche hors ligne)"
      );
      count.setAttribute("role", "status");
      container.appendChild(count);
      var list = el("ol", "result-groups");
      groups.forEach(function (group) {
        var item = el("li", "result-group");
        var title = el("h2", "result-group__title");
        var link = el("a");
        link.href = "/console/topic/" + encodeURIComponent(group.slug);
        appendPieces(link, A.highlight(index.topics[group.slug] || group.slug, searched));
        title.appendChild(link);
        title.appendChild(document.createTextNode(" "));
        title.appendChild(el("span", "result-group__count", "(" + group.lines.length + ")"));
        item.appendChild(title);
        var results = el("ul", "results");
        group.lines.forEach(function (entry) {
          var result = el("li", "result");
          var text = el("p", "result__text");
          if (entry[1]) {
            var factLink = el("a");
            factLink.href = "/console/topic/" + encodeURIComponent(group.slug) + "#fact-" + encodeURIComponent(entry[1]);
            appendPieces(factLink, A.highlight(entry[3], searched));
            text.appendChild(factLink);
            result.appendChild(text);
            var meta = el("p", "result__meta");
            if (entry[4]) {
              meta.appendChild(el("span", "badge badge--low", "Confiance faible – à vérifier"));
              meta.appendChild(document.createTextNode(" "));
            }
            meta.appendChild(document.createTextNode("Source : " + entry[5] + ", vérifiée le " + entry[6]));
            result.appendChild(meta);
          } else {
            appendPieces(text, entry[3] ? A.highlight(entry[3], searched) : [["Fiche du thème", false]]);
            result.appendChild(text);
          }
          results.appendChild(result);
        });
        item.appendChild(results);
        list.appendChild(item);
      });
      container.appendChild(list);
    });
  }

  /* The commune-lookup page's copy: the commune typed, from the index; a member commune's own
   * copy is then opened. */
  function offlineCommune(query) {
    var field = $("#commune-q");
    if (field) {
      field.value = query;
    }
    loadIndex().then(function (index) {
      var found = A.findCommune(index.communes, index.aliases, query);
      var main = $("#contenu");
      var status = el("p");
      status.setAttribute("role", "status");
      if (found.commune && found.commune[3]) {
        window.location.replace("/console/commune?insee=" + found.commune[0] + "&q=" + encodeURIComponent(query));
        return;
      }
      if (found.commune) {
        var commune = found.commune;
        var heading = main.querySelector("h1");
        heading.textContent = "Règles pour " + commune[1];
        status.textContent =
          commune[1] + " (" + (commune[2] || commune[0]) + ") n'est pas une commune de l'Agglo : les services de l'Agglo ne la concernent pas.";
        main.appendChild(status);
        return;
      }
      if (found.candidates) {
        var panel = el("section", "panel");
        panel.appendChild(el("h2", null, "Plusieurs communes correspondent à « " + query + " »"));
        var list = el("ul");
        found.candidates.forEach(function (candidate) {
          var item = el("li");
          var link = el("a", null, candidate[1] + " (" + (candidate[2] || candidate[0]) + ")");
          link.href = "/console/commune?insee=" + candidate[0] + "&q=" + encodeURIComponent(query);
          item.appendChild(link);
          list.appendChild(item);
        });
        panel.appendChild(list);
        main.appendChild(panel);
        return;
      }
      status.textContent = "Aucune commune reconnue pour « " + query + " ». Vérifiez l'orthographe.";
      main.appendChild(status);
    });
  }

  /* « Ma rue est-elle concernée ? » on a commune page's copy. */
  function offlineStreets(street) {
    var checks = document.querySelectorAll("[data-street-check]");
    if (!checks.length) {
      return;
    }
    loadIndex().then(function (index) {
      var matcher = new A.StreetMatcher(index.streets);
      Array.prototype.forEach.call(checks, function (check) {
        var verdict = matcher.check(
          check.getAttribute("data-rule"),
          check.getAttribute("data-commune"),
          street,
          check.getAttribute("data-commune-name")
        );
        var sentences = JSON.parse(check.getAttribute("data-sentences") || "{}");
        var input = check.querySelector('input[name="rue"]');
        if (input) {
          input.value = street;
        }
        show(check.querySelector("[data-street-verdict]"), A.verdictSentence(sentences, verdict));
      });
    });
  }

  /* The queue's copy holds the open requests: the filters are applied here. */
  function offlineQueue() {
    var status = params.get("status") || "open";
    var commune = params.get("commune") || "";
    var select = $("#queue-status");
    var communeSelect = $("#queue-commune");
    if (select) {
      select.value = status;
    }
    if (communeSelect) {
      communeSelect.value = commune;
    }
    Array.prototype.forEach.call(document.querySelectorAll("tr[data-status]"), function (row) {
      var keep =
        (status === "open" || status === "all" || row.getAttribute("data-status") === status) &&
        (!commune || row.getAttribute("data-commune") === commune);
      row.hidden = !keep;
    });
    if (status === "done" || status === "all") {
      var note = el("p", "unknown", "Hors ligne, seules les demandes à traiter (nouvelles et en cours) sont enregistrées sur cet appareil.");
      note.setAttribute("role", "status");
      var table = $(".table-wrap") || $("#contenu h1");
      table.parentNode.insertBefore(note, table);
    }
  }

  if (isCopy) {
    var path = window.location.pathname.replace(/\/+$/, "");
    var searchPage = $("[data-search-page]");
    if (searchPage && params.get("q")) {
      offlineSearch(searchPage, params.get("q").trim().slice(0, 200));
    } else if (path === "/console/commune" && !params.get("insee") && params.get("q")) {
      offlineCommune(params.get("q").trim().slice(0, 200));
    } else if (path === "/console/commune" && params.get("rue")) {
      offlineStreets(params.get("rue").trim().slice(0, 200));
    } else if (path === "/console/callbacks") {
      offlineQueue();
    }
  }

  // Actions taken offline (IndexedDB) -------------------------------------------------------------
  var outbox = $("#outbox");
  var outboxItems = $("[data-outbox-items]");
  var outboxLink = $("[data-outbox-link]");
  var STATUS_LABELS = { new: "Nouvelle", in_progress: "En cours", done: "Traitée" };
  // Actions still waiting to be sent (renderOutbox counts them).
  var waiting = 0;

  function describeItem(item) {
    if (item.kind === "note") {
      return "Note sur la demande " + item.reference + " : « " + item.body.text + " »";
    }
    if (item.kind === "status") {
      return "Demande " + item.reference + " : " + (item.label || STATUS_LABELS[item.body.status] || item.body.status);
    }
    return item.label || "Avis sur une réponse de l'assistant";
  }

  function stateText(item) {
    if (item.state === "sent") {
      return "Envoyée à " + clock(item.sent_at);
    }
    if (item.state === "conflict") {
      var current = item.current || {};
      var who = current.updated_by ? " par " + current.updated_by : "";
      var status = STATUS_LABELS[current.status] || current.status || "?";
      return "Non envoyée : la demande a été modifiée entre-temps" + who + " (état actuel : " + status + "). Votre action est gardée ici : renvoyez-la sur l'état actuel ou abandonnez-la.";
    }
    if (item.state === "blocked") {
      return "Non envoyée : elle suivait une action en conflit. Renvoyez-la ou abandonnez-la.";
    }
    if (item.state === "refused") {
      return "Refusée par le serveur (" + (item.error || "erreur") + ") : vérifiez-la puis abandonnez-la.";
    }
    return navigator.onLine && !unreachable ? "Envoi en cours…" : "En attente du réseau";
  }

  function button(label, onClick) {
    var node = el("button", "button--small", label);
    node.type = "button";
    node.addEventListener("click", onClick);
    return node;
  }

  function renderOutbox() {
    if (!canKeep || !outbox) {
      return Promise.resolve();
    }
    return A.store.all("outbox").then(function (items) {
      var now = Date.now();
      var shown = items.filter(function (item) {
        return item.state !== "sent" || now - item.sent_at < SENT_KEPT_MS;
      });
      outboxItems.textContent = "";
      shown.forEach(function (item) {
        var line = el("li", "outbox__item outbox__item--" + item.state);
        line.setAttribute("data-outbox-state", item.state);
        line.appendChild(el("p", "outbox__what", describeItem(item)));
        line.appendChild(el("p", "outbox__state", stateText(item)));
        if (item.state === "conflict" || item.state === "blocked") {
          var actions = el("p", "outbox__actions");
          actions.appendChild(
            button("Renvoyer sur l'état actuel", function () {
              resend(item);
            })
          );
          actions.appendChild(document.createTextNode(" "));
          actions.appendChild(
            button("Abandonner", function () {
              A.store.remove("outbox", item.id).then(renderOutbox);
            })
          );
          line.appendChild(actions);
        } else if (item.state === "refused") {
          line.appendChild(
            button("Abandonner", function () {
              A.store.remove("outbox", item.id).then(renderOutbox);
            })
          );
        }
        outboxItems.appendChild(line);
      });
      outbox.hidden = !shown.length;
      waiting = items.filter(function (item) {
        return item.state === "pending";
      }).length;
      var conflicts = items.filter(function (item) {
        return item.state === "conflict" || item.state === "blocked" || item.state === "refused";
      }).length;
      var parts = [];
      if (waiting) {
        parts.push(waiting + " action" + (waiting > 1 ? "s" : "") + " en attente d'envoi");
      }
      if (conflicts) {
        parts.push(conflicts + " à revoir");
      }
      show(outboxLink, parts.join(", "));
      // Items sent long ago are forgotten (they may name a resident).
      items
        .filter(function (item) {
          return item.state === "sent" && now - item.sent_at >= SENT_KEPT_MS;
        })
        .forEach(function (item) {
          A.store.remove("outbox", item.id);
        });
      return items;
    });
  }

  function resend(item) {
    item.state = "pending";
    item.after = null;
    if (item.current && item.current.version !== undefined) {
      item.body.version = item.current.version;
    }
    delete item.current;
    A.store.put("outbox", item).then(function () {
      return flush();
    });
  }

  function freshToken() {
    return fetch("/console/api/offline/state", { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        return response.ok ? response.json() : {};
      })
      .then(function (state) {
        if (state.csrf && csrfMeta) {
          csrfMeta.setAttribute("content", state.csrf);
        }
        return state.csrf || csrf();
      });
  }

  function post(item, token) {
    var headers = { "Content-Type": "application/json" };
    if (item.kind !== "feedback") {
      headers["X-CSRF-Token"] = token;
    }
    return fetch(item.url, {
      method: "POST",
      credentials: "same-origin",
      headers: headers,
      body: JSON.stringify(item.body),
    }).then(
      function (response) {
        unreachable = false;
        return response;
      },
      function (error) {
        // The browser may say it is online while no request gets through (a captive portal, a
        // dead mobile link): the last attempt is what tells.
        unreachable = true;
        throw error;
      }
    );
  }

  function sendOne(item, versions, token) {
    if (item.after && versions.blocked[item.after]) {
      item.state = "blocked";
      versions.blocked[item.id] = true;
      return A.store.put("outbox", item).then(function () {
        return true;
      });
    }
    if (item.after && versions.after[item.after] !== undefined) {
      // Queued on top of an action just sent: based on the version that action made.
      item.body.version = versions.after[item.after];
    }
    return post(item, token)
      .then(function (response) {
        if (response.status === 403 && !versions.retried) {
          versions.retried = true;
          return freshToken().then(function (fresh) {
            token = fresh;
            versions.token = fresh;
            return post(item, fresh);
          });
        }
        return response;
      })
      .then(function (response) {
        if (response.status === 401 || response.status === 403) {
          show(syncLine, "Reconnectez-vous pour envoyer les actions enregistrées.");
          return false;
        }
        return response.json().then(
          function (data) {
            if (response.ok) {
              item.state = "sent";
              item.sent_at = Date.now();
              if (data.callback) {
                versions.after[item.id] = data.callback.version;
              }
            } else if (response.status === 409) {
              item.state = "conflict";
              item.current = data.current || null;
              versions.blocked[item.id] = true;
            } else {
              item.state = "refused";
              item.error = data.error || "HTTP " + response.status;
              versions.blocked[item.id] = true;
            }
            return A.store.put("outbox", item).then(function () {
              return true;
            });
          },
          function () {
            return false;
          }
        );
      });
  }

  var flushing = null;

  /* Send the waiting actions in the order they were taken, each once. One tab at a time. */
  function flush() {
    if (!canKeep) {
      return Promise.resolve();
    }
    if (flushing) {
      return flushing;
    }
    function run() {
      return A.store.all("outbox").then(function (items) {
        var waiting = items.filter(function (item) {
          return item.state === "pending";
        });
        var versions = { after: {}, blocked: {}, retried: false, token: csrf() };
        items.forEach(function (item) {
          if (item.state === "sent" && item.result_version !== undefined) {
            versions.after[item.id] = item.result_version;
          } else if (item.state !== "pending" && item.state !== "sent") {
            versions.blocked[item.id] = true;
          }
        });
        var sentReferences = {};
        var chain = Promise.resolve(true);
        waiting.forEach(function (item) {
          chain = chain.then(function (goOn) {
            if (!goOn || !navigator.onLine) {
              return false;
            }
            return sendOne(item, versions, versions.token).then(function (result) {
              if (item.state === "sent") {
                if (versions.after[item.id] !== undefined) {
                  item.result_version = versions.after[item.id];
                  A.store.put("outbox", item);
                }
                sentReferences[item.reference || ""] = true;
              }
              return result;
            });
          }, function () {
            return false;
          });
        });
        return chain
          .catch(function () {
            return false;
          })
          .then(function () {
            return renderOutbox();
          })
          .then(function () {
            var here = $("[data-queue]");
            if (here && sentReferences[here.getAttribute("data-reference")] && navigator.onLine) {
              // The request's page shows the change as the server recorded it.
              window.sessionStorage.setItem(RELOADED, String(Date.now()));
              window.location.reload();
            }
          });
      });
    }
    var locked = navigator.locks
      ? navigator.locks.request("agglomobile-outbox", run)
      : run();
    flushing = locked.finally(function () {
      flushing = null;
    });
    return flushing;
  }

  if (canKeep) {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-queue]"), function (form) {
      form.addEventListener("submit", function (event) {
        // Online with nothing waiting, the form is posted as usual (the service worker queues it
        // if the network fails on the way); offline, or behind actions still waiting, it queues.
        if (navigator.onLine && !waiting) {
          return;
        }
        event.preventDefault();
        var kind = form.getAttribute("data-queue");
        var text = form.querySelector("textarea");
        var status = form.querySelector('input[name="status"]');
        var item = A.callbackAction(
          form.getAttribute("data-reference"),
          kind,
          { version: form.getAttribute("data-version"), text: text ? text.value : "", status: status ? status.value : "" },
          form.getAttribute("data-label")
        );
        if (kind === "note" && !item.body.text) {
          return;
        }
        A.queueAction(item).then(function () {
          if (text) {
            text.value = "";
          }
          var notice = form.querySelector("[data-queued]") || el("p", "outbox__notice");
          notice.setAttribute("data-queued", "");
          notice.setAttribute("role", "status");
          notice.textContent = navigator.onLine
            ? "Enregistrée : elle partira après les actions en attente."
            : "Enregistrée sur cet appareil : elle partira dès le retour du réseau.";
          form.appendChild(notice);
          return renderOutbox().then(flush);
        });
      });
    });

    // The agent chat's 👍/👎 when the network is down (widget.js asks before giving up).
    document.addEventListener("agglo:queue", function (event) {
      var detail = event.detail || {};
      if (detail.url !== "/api/feedback") {
        return;
      }
      event.preventDefault();
      A.queueAction({ kind: "feedback", url: detail.url, body: detail.body, label: detail.label, reference: null }).then(
        renderOutbox
      );
    });

    renderOutbox();
  }

  // Logout: nothing of the session stays on the device ----------------------------------------
  function dropCopy() {
    var steps = [A.store.clear(), caches.delete("agglomobile-pages")];
    if (navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage({ type: "purge" });
    }
    return Promise.all(steps).catch(function () {});
  }

  function finishLogout() {
    window.localStorage.removeItem(LOGOUT_PENDING);
    var form = $(".console-logout");
    dropCopy().then(function () {
      form.submit();
    });
  }

  var logoutForm = $(".console-logout");
  if (canKeep && logoutForm) {
    logoutForm.addEventListener("submit", function (event) {
      event.preventDefault();
      A.store
        .all("outbox")
        .catch(function () {
          return [];
        })
        .then(function (items) {
          var unsent = items.filter(function (item) {
            return item.state !== "sent";
          }).length;
          if (
            unsent &&
            !window.confirm(
              unsent + " action" + (unsent > 1 ? "s n'ont" : " n'a") + " pas encore été envoyée" + (unsent > 1 ? "s" : "") + " : elle" + (unsent > 1 ? "s seront perdues" : " sera perdue") + ". Se déconnecter quand même ?"
            )
          ) {
            return;
          }
          dropCopy().then(function () {
            if (navigator.onLine && !isCopy) {
              logoutForm.submit();
            } else {
              // The server is told at the next console page opened online (the login page,
              // which means the session is over already, forgets it).
              window.localStorage.setItem(LOGOUT_PENDING, "1");
              window.location.replace("/console/offline");
            }
          });
        });
    });
  }
})();
