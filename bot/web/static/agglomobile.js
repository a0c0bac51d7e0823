/* The Agglomobile's offline answers: the server's rules, ported so that the console answers the
 * same way without a network.
 *
 * - fold(), key(): bot/french/text.py (accents, case, elisions, « lez » = « lès », « St »);
 * - search(): KnowledgeBase.search in bot/kb/queries.py (rapidfuzz's ratio, threshold 80, the
 *   server's order), on the index the server built (bot/web/offline.py, already folded);
 * - highlight(): bot/web/views.py highlight();
 * - streets: bot/core/streets.py (abbreviations, house numbers, one typo per word).
 * tests/unit/web/test_agglomobile_js.py runs this file with Node and checks that it answers like
 * the Python code. Also the small IndexedDB store the page and the service worker share.
 * No dependency: it runs in the page, in the service worker (importScripts) and in Node.
 */
(function (root, factory) {
  "use strict";
  if (typeof module === "object" && module.exports) {
    module.exports = factory();
  } else {
    root.Agglomobile = factory();
  }
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  // French text (bot/french/text.py) -------------------------------------------------------
  var LIGATURES = { "œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "’": "'", "ß": "ss" };
  var ELISION = /(?<![\p{L}\p{N}_])(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu)'/gu;
  var TOKEN_EQUIVALENTS = { lez: "les", st: "saint", ste: "sainte" };

  function fold(text) {
    var value = String(text || "").replace(/[œŒæÆ’ß]/g, function (ch) {
      return LIGATURES[ch];
    });
    value = value.toLowerCase().replace(ELISION, " ");
    value = value.normalize("NFKD").replace(/\p{M}/gu, "");
    return value.replace(/[^a-z0-9]+/g, " ").trim();
  }

  function words(text) {
    var folded = fold(text);
    return folded ? folded.split(" ") : [];
  }

  function key(text) {
    return words(text)
      .map(function (word) {
        return TOKEN_EQUIVALENTS[word] || word;
      })
      .join(" ");
  }

  // Similarity (rapidfuzz) ----------------------------------------------------------------
  function lcsLength(a, b) {
    var previous = new Array(b.length + 1).fill(0);
    for (var i = 1; i <= a.length; i++) {
      var current = [0];
      for (var j = 1; j <= b.length; j++) {
        current[j] = a[i - 1] === b[j - 1] ? previous[j - 1] + 1 : Math.max(previous[j], current[j - 1]);
      }
      previous = current;
    }
    return previous[b.length];
  }

  /* rapidfuzz's fuzz.ratio: the normalised Indel similarity, times 100. */
  function ratio(a, b) {
    var total = a.length + b.length;
    if (!total) {
      return 100;
    }
    if (a === b) {
      return 100;
    }
    var distance = total - 2 * lcsLength(a, b);
    return (1 - distance / total) * 100;
  }

  /* rapidfuzz's OSA distance: insertions, deletions, substitutions and adjacent swaps. */
  function osa(a, b) {
    var rows = [];
    for (var i = 0; i <= a.length; i++) {
      rows.push([i]);
    }
    for (var j = 1; j <= b.length; j++) {
      rows[0][j] = j;
    }
    for (i = 1; i <= a.length; i++) {
      for (j = 1; j <= b.length; j++) {
        var cost = a[i - 1] === b[j - 1] ? 0 : 1;
        var best = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
        if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
          best = Math.min(best, rows[i - 2][j - 2] + 1);
        }
        rows[i][j] = best;
      }
    }
    return rows[a.length][b.length];
  }

  // Search (bot/kb/queries.py, bot/web/views.py) ---------------------------------------------
  var SEARCH_THRESHOLD = 80;

  function searchWords(query) {
    var all = words(query);
    var long = all.filter(function (word) {
      return word.length > 2;
    });
    return long.length ? long : all;
  }

  /* The index's entries that match, best first (ties in the index's order), as the server's
   * search: each word searched scores its best match among the entry's words. */
  function search(entries, query, limit) {
    var searched = searchWords(query);
    if (!searched.length) {
      return [];
    }
    var hits = [];
    entries.forEach(function (entry, order) {
      var entryWords = entry[2] ? entry[2].split(" ") : [];
      if (!entryWords.length) {
        return;
      }
      var total = 0;
      searched.forEach(function (word) {
        var best = 0;
        entryWords.forEach(function (candidate) {
          var score = ratio(word, candidate);
          if (score > best) {
            best = score;
          }
        });
        total += best;
      });
      var score = total / searched.length;
      if (score >= SEARCH_THRESHOLD) {
        hits.push({ score: score, order: order, entry: entry });
      }
    });
    hits.sort(function (a, b) {
      return b.score - a.score || a.order - b.order;
    });
    return hits.slice(0, limit);
  }

  /* The text in pieces, true for the words close to a word searched. */
  function highlight(text, searched) {
    var pieces = [];
    var last = 0;
    var pattern = /[\p{L}\p{N}]+/gu;
    var match;
    while ((match = pattern.exec(text)) !== null) {
      var parts = words(match[0]);
      var hit = parts.some(function (part) {
        return searched.some(function (word) {
          return ratio(word, part) >= SEARCH_THRESHOLD;
        });
      });
      if (hit) {
        if (match.index > last) {
          pieces.push([text.slice(last, match.index), false]);
        }
        pieces.push([match[0], true]);
        last = match.index + match[0].length;
      }
    }
    if (last < text.length) {
      pieces.push([text.slice(last), false]);
    }
    return pieces;
  }

  // Communes --------------------------------------------------------------------------------
  var COMMUNE_RATIO = 85;

  /* A commune typed in the lookup field: {commune} when one is meant, {candidates} when several
   * are, {} when none. Exact names and aliases first, then names that start with what was
   * typed, then close spellings (member communes first). */
  function findCommune(communes, aliases, query) {
    var typed = key(query);
    if (!typed) {
      return {};
    }
    var byInsee = {};
    communes.forEach(function (commune) {
      byInsee[commune[0]] = commune;
    });
    function answer(found) {
      var members = found.filter(function (commune) {
        return commune[3];
      });
      var chosen = members.length ? members : found;
      if (chosen.length === 1) {
        return { commune: chosen[0] };
      }
      return chosen.length ? { candidates: chosen } : null;
    }
    if (aliases[typed] && byInsee[aliases[typed]]) {
      return { commune: byInsee[aliases[typed]] };
    }
    var keyed = communes.map(function (commune) {
      return [key(commune[1]), commune];
    });
    var steps = [
      function (name) {
        return name === typed;
      },
      function (name) {
        return name.indexOf(typed + " ") === 0;
      },
      function (name) {
        return ratio(typed, name) >= COMMUNE_RATIO;
      },
    ];
    for (var index = 0; index < steps.length; index++) {
      var found = keyed
        .filter(function (item) {
          return steps[index](item[0]);
        })
        .map(function (item) {
          return item[1];
        });
      var result = answer(found);
      if (result) {
        return result;
      }
    }
    return {};
  }

  // Streets (bot/core/streets.py) ---------------------------------------------------------------
  var NUMBER = /^\d+(?:[a-z]|bis|ter|quater)?$/;
  var POSTAL_CODE = /^\d{5}$/;
  var NUMBER_WORDS = ["bis", "ter", "quater"];
  var TYPO_MIN_LENGTH = 4;

  function similar(left, right) {
    if (left === right) {
      return true;
    }
    if (Math.min(left.length, right.length) < TYPO_MIN_LENGTH) {
      return false;
    }
    return osa(left, right) <= 1;
  }

  function covers(asked, listed) {
    if (!asked.length || !listed.length) {
      return false;
    }
    var free = listed.map(function (_, index) {
      return index;
    });
    for (var i = 0; i < asked.length; i++) {
      var position = -1;
      for (var j = 0; j < free.length; j++) {
        if (similar(asked[i], listed[free[j]])) {
          position = j;
          break;
        }
      }
      if (position < 0) {
        return false;
      }
      free.splice(position, 1);
    }
    return free.indexOf(listed.length - 1) < 0;
  }

  function StreetMatcher(data) {
    this.abbreviations = data.abbreviations || {};
    this.kinds = (data.street_types || [])
      .map(function (kind) {
        return kind.split(" ");
      })
      .sort(function (a, b) {
        return b.length - a.length;
      });
    this.particles = data.particles || [];
    this.lists = data.lists || [];
  }

  StreetMatcher.prototype.words = function (text) {
    var self = this;
    var result = [];
    words(text).forEach(function (word) {
      var written = Object.prototype.hasOwnProperty.call(self.abbreviations, word) ? self.abbreviations[word] : word;
      result.push.apply(result, written.split(" "));
    });
    return result;
  };

  StreetMatcher.prototype.kindAt = function (list, start) {
    for (var i = 0; i < this.kinds.length; i++) {
      var kind = this.kinds[i];
      if (kind.every(function (word, offset) {
        return list[start + offset] === word;
      })) {
        return kind;
      }
    }
    return [];
  };

  StreetMatcher.prototype.parts = function (text) {
    var self = this;
    var list = this.words(text);
    while (list.length && (NUMBER.test(list[0]) || NUMBER_WORDS.indexOf(list[0]) >= 0)) {
      list.shift();
    }
    while (list.length && POSTAL_CODE.test(list[list.length - 1])) {
      list.pop();
    }
    var kind = this.kindAt(list, 0);
    return {
      kind: kind.join(" "),
      core: list.slice(kind.length).filter(function (word) {
        return self.particles.indexOf(word) < 0;
      }),
    };
  };

  StreetMatcher.prototype.listsFor = function (rule, insee) {
    return this.lists
      .filter(function (item) {
        return item.rule === rule && item.commune === insee;
      })
      .sort(function (a, b) {
        if (a.current !== b.current) {
          return a.current ? -1 : 1;
        }
        return String(b.valid_from || "").localeCompare(String(a.valid_from || ""));
      });
  };

  StreetMatcher.prototype.named = function (streetList, asked) {
    var self = this;
    if (!asked.core.length) {
      return { streets: [], exact: false };
    }
    var exact = [];
    var whole = [];
    var partial = [];
    streetList.streets.forEach(function (street) {
      var spellings = [street.name].concat(street.also || []);
      for (var i = 0; i < spellings.length; i++) {
        var listed = self.parts(spellings[i]);
        var same =
          asked.core.length === listed.core.length &&
          asked.core.every(function (word, index) {
            return similar(word, listed.core[index]);
          });
        if (same) {
          (asked.kind === listed.kind ? exact : whole).push(street);
          break;
        }
        if (covers(asked.core, listed.core)) {
          partial.push(street);
          break;
        }
      }
    });
    if (exact.length) {
      return { streets: exact, exact: exact.length === 1 };
    }
    return { streets: whole.length ? whole : partial, exact: false };
  };

  /* The verdict on an address typed alone: listed, not_listed or no_list. */
  StreetMatcher.prototype.check = function (rule, insee, address, communeName) {
    var self = this;
    var lists = this.listsFor(rule, insee);
    if (!lists.length) {
      return { kind: "no_list", list: null, streets: [], exact: false };
    }
    var asked = this.parts(address);
    var communeWords = key(communeName || "")
      .split(" ")
      .filter(function (word) {
        return word && self.particles.indexOf(word) < 0;
      });
    var core = asked.core;
    var tail = core.slice(core.length - communeWords.length);
    if (communeWords.length && core.length > communeWords.length && tail.join(" ") === communeWords.join(" ")) {
      core = core.slice(0, core.length - communeWords.length);
    }
    while (core.length > 1 && POSTAL_CODE.test(core[core.length - 1])) {
      core = core.slice(0, -1);
    }
    asked = { kind: asked.kind, core: core };
    for (var i = 0; i < lists.length; i++) {
      var named = this.named(lists[i], asked);
      if (named.streets.length) {
        return { kind: "listed", list: lists[i], streets: named.streets, exact: named.exact };
      }
    }
    return { kind: "not_listed", list: lists[0], streets: [], exact: false };
  };

  function frenchList(items) {
    if (items.length < 2) {
      return items.join("");
    }
    return items.slice(0, -1).join(", ") + " et " + items[items.length - 1];
  }

  /* The sentence of kb/messages.yml that tells a verdict (bot/core/streets.py verdict_template). */
  function verdictTemplate(verdict) {
    var list = verdict.list;
    if (!list) {
      return "street_no_list";
    }
    if (verdict.kind === "listed") {
      if (list.superseded) {
        return "street_listed_past";
      }
      return verdict.exact ? "street_listed" : "street_listed_check";
    }
    if (list.superseded) {
      return "street_not_listed_past";
    }
    return list.complete ? "street_not_listed" : "street_not_in_partial_list";
  }

  function quoted(names) {
    return frenchList(
      names.map(function (name) {
        return "« " + name + " »";
      })
    );
  }

  /* The verdict told with the page's sentences (their commune and rule already filled in). */
  function verdictSentence(sentences, verdict) {
    var list = verdict.list;
    var values = {
      applies_to: list ? list.applies_to : "",
      streets: list
        ? quoted(
            list.streets.map(function (street) {
              return street.name;
            })
          )
        : "",
      named: quoted(
        verdict.streets.map(function (street) {
          return street.name;
        })
      ),
    };
    var template = sentences[verdictTemplate(verdict)] || "";
    return template.replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? values[name] : whole;
    });
  }

  // The store the page and the service worker share (IndexedDB) ------------------------------
  var DB_NAME = "agglomobile";
  var DB_VERSION = 1;

  function request(operation) {
    return new Promise(function (resolve, reject) {
      operation.onsuccess = function () {
        resolve(operation.result);
      };
      operation.onerror = function () {
        reject(operation.error);
      };
    });
  }

  function openStore() {
    var opening = indexedDB.open(DB_NAME, DB_VERSION);
    opening.onupgradeneeded = function () {
      var db = opening.result;
      // meta: what the copy is (versions, pages' hashes, session's end); outbox: the actions
      // taken offline, in order.
      db.createObjectStore("meta");
      db.createObjectStore("outbox", { keyPath: "id", autoIncrement: true });
    };
    return request(opening);
  }

  function withStore(name, mode, action) {
    return openStore().then(function (db) {
      var transaction = db.transaction(name, mode);
      var result = action(transaction.objectStore(name));
      return new Promise(function (resolve, reject) {
        transaction.oncomplete = function () {
          db.close();
          resolve(result instanceof Captured ? result.value : result);
        };
        transaction.onerror = transaction.onabort = function () {
          db.close();
          reject(transaction.error);
        };
      });
    });
  }

  /* The result of an operation, known when its transaction completes. */
  function Captured() {
    this.value = undefined;
  }

  function captured(operation) {
    var box = new Captured();
    operation.onsuccess = function () {
      box.value = operation.result;
    };
    return box;
  }

  var store = {
    get: function (name, id) {
      return withStore(name, "readonly", function (objects) {
        return captured(objects.get(id));
      });
    },
    all: function (name) {
      return withStore(name, "readonly", function (objects) {
        return captured(objects.getAll());
      });
    },
    put: function (name, value, id) {
      return withStore(name, "readwrite", function (objects) {
        return captured(id === undefined ? objects.put(value) : objects.put(value, id));
      });
    },
    remove: function (name, id) {
      return withStore(name, "readwrite", function (objects) {
        objects.delete(id);
      });
    },
    clear: function () {
      return openStore().then(function (db) {
        var transaction = db.transaction(["meta", "outbox"], "readwrite");
        transaction.objectStore("meta").clear();
        transaction.objectStore("outbox").clear();
        return new Promise(function (resolve, reject) {
          transaction.oncomplete = function () {
            db.close();
            resolve();
          };
          transaction.onerror = transaction.onabort = function () {
            db.close();
            reject(transaction.error);
          };
        });
      });
    },
  };

  function changeId() {
    if (typeof crypto !== "undefined" && crypto.randomUUID) {
      return crypto.randomUUID();
    }
    return String(Date.now()) + "-" + String(Math.random()).slice(2);
  }

  /* An action taken without the network, kept to be sent later (console.js sends them): a
   * change of a callback request waits for the one before it on the same request. */
  function queueAction(item) {
    return store.all("outbox").then(function (items) {
      var earlier = items.filter(function (other) {
        return other.reference && other.reference === item.reference && other.state !== "sent";
      });
      item.after = earlier.length ? earlier[earlier.length - 1].id : null;
      item.state = "pending";
      item.created_at = Date.now();
      return store.put("outbox", item);
    });
  }

  /* A callback request's form (status or note) as an action of the queue's JSON API. */
  function callbackAction(reference, kind, fields, label) {
    var body = { version: Number(fields.version), change_id: changeId() };
    if (kind === "note") {
      body.text = String(fields.text || "").trim();
    } else {
      body.status = String(fields.status || "");
    }
    return {
      kind: kind,
      url: "/console/api/callbacks/" + encodeURIComponent(reference) + (kind === "note" ? "/notes" : "/status"),
      reference: reference,
      label: label,
      body: body,
    };
  }

  return {
    queueAction: queueAction,
    callbackAction: callbackAction,
    fold: fold,
    key: key,
    ratio: ratio,
    osa: osa,
    searchWords: searchWords,
    search: search,
    highlight: highlight,
    findCommune: findCommune,
    StreetMatcher: StreetMatcher,
    verdictTemplate: verdictTemplate,
    verdictSentence: verdictSentence,
    frenchList: frenchList,
    store: store,
  };
});
