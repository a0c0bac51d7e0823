/* The Agglomobile's service worker: the agents' console offline (served as /console/sw.js,
 * scope /console; bot/web/offline.py documents the sync protocol).
 *
 * - Pages: the network first, always (a live page is never older than the copy); when the
 *   network fails (or takes longer than NETWORK_TIMEOUT_MS), the copy kept on this device, if
 *   the session it was made for has not ended, else a page that says so without agent data.
 * - Sync, asked by the console's pages: the live versions first (one small request); when the
 *   knowledge base or the queue changed, the pages whose hash changed, in one compressed answer.
 * - Security: the copy is the session's. It is dropped at logout (the page asks, and the server's
 *   Clear-Site-Data header does it too), when the session's lifetime is over, when the server
 *   answers that no one is logged in, and when another agent logs in on the device.
 * Written by hand rather than with Workbox: the copy is made at run time from a server answer,
 * bound to a session and dropped with it, which Workbox's precaching (a list fixed at build
 * time) does not do; and the console has no build step to bundle Workbox's modules.
 */
/* global Agglomobile */
"use strict";

importScripts("/static/agglomobile.js");

var SHELL_VERSION = "agglomobile-shell-3";
var PAGES = "agglomobile-pages";
var SHELL = [
  "/static/console.css",
  "/static/console.js",
  "/static/agglomobile.js",
  "/static/icons/agglomobile-192.png",
  "/console/offline",
  "/widget.js",
  "/widget.css",
];
var INDEX_URL = "/console/api/offline/index";
var NETWORK_TIMEOUT_MS = 8000;
var store = Agglomobile.store;

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches
      .open(SHELL_VERSION)
      .then(function (cache) {
        return cache.addAll(SHELL);
      })
      .then(function () {
        return self.skipWaiting();
      })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches
      .keys()
      .then(function (names) {
        return Promise.all(
          names
            .filter(function (name) {
              return name.indexOf("agglomobile-shell-") === 0 && name !== SHELL_VERSION;
            })
            .map(function (name) {
              return caches.delete(name);
            })
        );
      })
      .then(function () {
        return self.clients.claim();
      })
  );
});

// The copy ---------------------------------------------------------------------------------------
function broadcast(message) {
  return self.clients.matchAll({ includeUncontrolled: true }).then(function (clients) {
    clients.forEach(function (client) {
      client.postMessage(message);
    });
  });
}

// The copy's description, kept in memory too: a page served from the copy needs no database read.
var known = null;

function readMeta() {
  if (known) {
    return Promise.resolve(known);
  }
  return store.get("meta", "sync").then(function (meta) {
    known = meta || null;
    return known;
  });
}

function writeMeta(meta) {
  known = meta;
  return store.put("meta", meta, "sync");
}

function purge(reason) {
  known = null;
  return Promise.all([caches.delete(PAGES), store.clear()]).then(function () {
    return broadcast({ type: "purged", reason: reason });
  });
}

/* The copy's description, or null when there is none or its session has ended (then it is
 * dropped). */
function validMeta() {
  return readMeta().then(function (meta) {
    if (!meta) {
      return null;
    }
    if (Date.now() >= meta.session_expires_at) {
      return purge("expired").then(function () {
        return null;
      });
    }
    return meta;
  });
}

/* Where a page of the console is kept: one copy per fiche, per member commune, per callback
 * request; the search and lookup pages answer any query from the index. */
function cacheKey(url) {
  var path = url.pathname.replace(/\/+$/, "") || "/";
  if (path === "/console/commune") {
    var insee = url.searchParams.get("insee");
    return insee && /^[0-9][0-9AB][0-9]{3}$/.test(insee) ? path + "?insee=" + insee : path;
  }
  var callback = /^\/console\/callbacks\/([A-Za-z0-9-]+)$/.exec(path);
  if (callback) {
    return "/console/callbacks/" + callback[1].toUpperCase();
  }
  return path;
}

function pageResponse(html) {
  return new Response(html, { headers: { "Content-Type": "text/html; charset=utf-8" } });
}

function offlinePage() {
  return caches.match("/console/offline", { cacheName: SHELL_VERSION }).then(function (response) {
    return (
      response ||
      new Response("<!doctype html><title>Hors ligne</title><p>Hors ligne.</p>", {
        status: 503,
        headers: { "Content-Type": "text/html; charset=utf-8" },
      })
    );
  });
}

function fromCopy(url) {
  return validMeta().then(function (meta) {
    if (!meta) {
      return null;
    }
    return caches.match(url, { cacheName: PAGES });
  });
}

// Sync --------------------------------------------------------------------------------------------
var running = null;

function getJson(url, options) {
  return fetch(url, Object.assign({ credentials: "same-origin", cache: "no-store" }, options || {})).then(
    function (response) {
      if (response.status === 401) {
        var signedOut = new Error("signed out");
        signedOut.signedOut = true;
        throw signedOut;
      }
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json();
    }
  );
}

function describe(meta, extra) {
  return Object.assign(
    {
      kb_version: meta.kb_version,
      built_at: meta.built_at,
      synced_at: meta.synced_at,
      checked_at: meta.checked_at,
      pages: Object.keys(meta.pages || {}).length,
    },
    extra || {}
  );
}

function syncNow(csrf) {
  known = null; // read again: a page may have changed it
  return Promise.all([readMeta(), getJson("/console/api/offline/state")]).then(function (both) {
    var meta = both[0];
    var state = both[1];
    var held = meta;
    if (held && held.agent !== state.agent) {
      // Another agent on this device: the previous copy is not theirs.
      held = null;
    }
    var chain = held ? Promise.resolve() : purge("new-session");
    return chain.then(function () {
      if (held && held.kb_version === state.kb_version && held.queue_version === state.queue_version) {
        held.session_expires_at = state.session_expires_at;
        held.checked_at = Date.now();
        return writeMeta(held).then(function () {
          return describe(held, { changed: [], full: false });
        });
      }
      return getJson("/console/api/offline/sync", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": state.csrf || csrf },
        body: JSON.stringify({ kb_version: held ? held.kb_version : null, pages: held ? held.pages : {} }),
      }).then(function (answer) {
        return caches.open(PAGES).then(function (cache) {
          var hashes = {};
          var writes = [];
          Object.keys(answer.pages).forEach(function (url) {
            hashes[url] = answer.pages[url].hash;
            writes.push(cache.put(url, pageResponse(answer.pages[url].html)));
          });
          answer.unchanged.forEach(function (url) {
            hashes[url] = held.pages[url];
          });
          answer.removed.forEach(function (url) {
            writes.push(cache.delete(url));
          });
          if (answer.index) {
            writes.push(
              cache.put(
                INDEX_URL,
                new Response(JSON.stringify(answer.index), { headers: { "Content-Type": "application/json" } })
              )
            );
          }
          return Promise.all(writes).then(function () {
            var now = Date.now();
            var fresh = {
              agent: answer.agent,
              kb_version: answer.kb_version,
              built_at: answer.built_at,
              queue_version: answer.queue_version,
              session_expires_at: answer.session_expires_at,
              pages: hashes,
              synced_at: now,
              checked_at: now,
            };
            return writeMeta(fresh).then(function () {
              return describe(fresh, { changed: Object.keys(answer.pages), full: answer.full });
            });
          });
        });
      });
    });
  });
}

function sync(csrf) {
  if (!running) {
    running = syncNow(csrf)
      .then(
        function (result) {
          return broadcast(Object.assign({ type: "synced" }, result));
        },
        function (error) {
          if (error.signedOut) {
            return purge("signed-out");
          }
          return broadcast({ type: "sync-failed", message: String(error.message || error) });
        }
      )
      .finally(function () {
        running = null;
      });
  }
  return running;
}

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "sync") {
    event.waitUntil(sync(data.csrf));
  } else if (data.type === "purge") {
    event.waitUntil(purge("logout"));
  } else if (data.type === "describe") {
    known = null; // as stored
    event.waitUntil(
      validMeta().then(function (meta) {
        var source = event.source;
        if (source) {
          source.postMessage(meta ? Object.assign({ type: "described" }, describe(meta)) : { type: "described" });
        }
      })
    );
  }
});

// Requests ----------------------------------------------------------------------------------------
function withTimeout(request) {
  var controller = new AbortController();
  var timer = setTimeout(function () {
    controller.abort();
  }, NETWORK_TIMEOUT_MS);
  return fetch(request, { signal: controller.signal }).finally(function () {
    clearTimeout(timer);
  });
}

function navigation(request, url) {
  var path = url.pathname;
  if (path === "/console/login" || path === "/console/offline") {
    return fetch(request).then(
      function (response) {
        // The login form answers 200 only to a browser with no session: nothing is kept for it.
        if (path === "/console/login" && response.status === 200) {
          return purge("signed-out").then(function () {
            return response;
          });
        }
        return response;
      },
      function () {
        return offlinePage();
      }
    );
  }
  function copyOrOfflinePage() {
    return fromCopy(cacheKey(url)).then(function (copy) {
      return copy || offlinePage();
    });
  }
  if (!self.navigator.onLine) {
    return copyOrOfflinePage();
  }
  return withTimeout(request).catch(copyOrOfflinePage);
}

function shellAsset(request) {
  // Kept on the device, refreshed in the background: the console opens without the network.
  return caches.open(SHELL_VERSION).then(function (cache) {
    return cache.match(request).then(function (cached) {
      if (cached && !self.navigator.onLine) {
        return cached;
      }
      var fresh = fetch(request).then(function (response) {
        if (response.ok) {
          cache.put(request, response.clone());
        }
        return response;
      });
      if (cached) {
        fresh.catch(function () {});
        return cached;
      }
      return fresh;
    });
  });
}

var CALLBACK_FORM = /^\/console\/callbacks\/([A-Za-z0-9-]+)\/(status|notes)$/;

/* A callback request's form posted while the network fails on the way: kept as an action to
 * send later (console.js sends them), and the request's page shown again (from the copy). */
function postOrQueue(request, form) {
  var copy = request.clone();
  return fetch(request).catch(function () {
    return validMeta().then(function (meta) {
      if (!meta) {
        return offlinePage();
      }
      return copy.formData().then(function (fields) {
        var reference = form[1].toUpperCase();
        var item = Agglomobile.callbackAction(reference, form[2] === "notes" ? "note" : "status", {
          version: fields.get("version"),
          text: fields.get("text"),
          status: fields.get("status"),
        });
        var kept = item.kind === "note" && !item.body.text ? Promise.resolve() : Agglomobile.queueAction(item);
        return kept.then(function () {
          return Response.redirect("/console/callbacks/" + reference, 303);
        });
      });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  var form = request.method === "POST" && request.mode === "navigate" ? CALLBACK_FORM.exec(url.pathname) : null;
  if (form) {
    event.respondWith(postOrQueue(request, form));
    return;
  }
  if (request.method !== "GET") {
    return;
  }
  if (request.mode === "navigate" && (url.pathname === "/console" || url.pathname.indexOf("/console/") === 0)) {
    event.respondWith(navigation(request, url));
  } else if (url.pathname === INDEX_URL) {
    event.respondWith(
      fromCopy(INDEX_URL).then(function (copy) {
        return copy || fetch(request);
      })
    );
  } else if (SHELL.indexOf(url.pathname) >= 0 || url.pathname.indexOf("/static/icons/") === 0) {
    event.respondWith(shellAsset(request));
  }
});
