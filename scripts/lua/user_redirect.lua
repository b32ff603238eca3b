-- user_redirect.lua: time-dependent forwarding (admin guide 4.5, "Time Dependent Forwarding").
--
-- Pillarbox runs this script for every local recipient, in the routing-script sandbox
-- (docs/routing-scripts.md). An administrator edits the `config` table below: one entry per
-- user name says WHEN that user's mail is forwarded and WHERE. A user without an entry is
-- routed as if this script were absent (their ordinary Forward To settings apply).
--
-- For a user with an entry, this script decides the forwarding only inside the schedule:
--   * inside the schedule: the mail goes to `to` (default: the user's Forward To setting),
--     without a local copy (mode "redirect") or with one (mode "copy");
--   * outside it, for an entry with `to`: the script decides nothing, so the user's own
--     routing applies as if the script were absent (assistants, size-dependent forwarding,
--     and Forward To when "Use Forwarding" is on);
--   * outside it, for an entry without `to` (the user's own Forward To follows the schedule,
--     the guide's "Use Forwards between"): the script calls no_forwarding(), so the user's
--     Forward To is not used even with "Use Forwarding" on; the rest of the user's own routing
--     (assistants, size-dependent forwarding) applies;
--   * an entry may also carry an assistants window (the guide's "Use Assistants between"):
--     outside it the script calls no_assistants(), so the user's assistants are not used;
--     inside it they are used as usual. An entry with ONLY an assistants window (no to, mode,
--     from, until, days or office_hours) leaves the forwarding alone;
--   * a message the spam filter quarantines is kept (in the quarantine) and not forwarded when
--     the user has "Don't use forwardings or assistants if mail would be quarantined"
--     (user.no_forward_quarantined), as the user's ordinary forwarding would be.
--
-- Fields of an entry (all optional):
--   to           = "phil@example.com; ann@example.com"  -- default: the user's forward_to
--   mode         = "redirect" or "copy"                 -- default: "redirect"
--   from         = "20140810" or "08:00" or "20140810 08:00"  -- the window's start
--   ["until"]    = "20140820" or "18:00" or "20140820 18:00"  -- the window's end (inclusive)
--       As in the guide (5.3), the dates bound the DAYS and the times bound the HOURS OF EACH
--       DAY: from = "20070101 10:00", ["until"] = "20070108 12:00" is 10:00-12:00 on each day
--       from 1 to 8 January 2007 (both included). A missing date or time means "as early"
--       (from) or "as late" (until) as possible: from = "20140810" alone is every hour of
--       every day from 10 August 2014 on; from = "08:00", ["until"] = "18:00" is 08:00-18:00
--       every day. A start hour after the end hour ("22:00" to "06:00") is the hours from the
--       start to midnight and from midnight to the end, on each day of the range.
--   days         = { "sat", "sun" }       -- forward all day on these weekdays
--   office_hours = { "08:00", "18:00" }   -- forward outside these hours (the end excluded)
--   assistants_from  = "20140810 08:00"    -- the assistants window's start
--   assistants_until = "20140820 18:00"    -- its end; same day/hour rules as from/until
-- With neither days nor office_hours, mail is forwarded at any time inside the window;
-- with them, only on those days or outside those hours. Times are the server's local time.
--
-- CONFIG BEGIN
local config = {
  -- sue = { to = "phil@example.com", office_hours = { "08:00", "18:00" },
  --         days = { "sat", "sun" } },
  -- ann = { assistants_from = "08:00", assistants_until = "18:00" },
  -- bob = { mode = "copy", from = "20261221", ["until"] = "20270104 12:00" },
}
-- CONFIG END

local DAYS = { mon = true, tue = true, wed = true, thu = true, fri = true, sat = true, sun = true }

-- "HH:MM" -> "HHMM", or an error naming the field.
local function hhmm(text, what)
  local h, m = string.match(text, "^(%d%d):(%d%d)$")
  if not h or tonumber(h) > 23 or tonumber(m) > 59 then
    error(what .. ": '" .. text .. "' is not a time HH:MM", 0)
  end
  return h .. m
end

-- A window bound "YYYYMMDD", "HH:MM" or "YYYYMMDD HH:MM" as its date "YYYYMMDD" and its time
-- "HHMM", each nil when not given.
local function bound(text, what)
  if text == nil or text == "" then return nil, nil end
  local date, time = string.match(text, "^(%d%d%d%d%d%d%d%d)%s+(%S+)$")
  if not date then date = string.match(text, "^(%d%d%d%d%d%d%d%d)$") end
  if not date and not time then time = text end
  return date, time and hhmm(time, what)
end

-- Whether the guide's window from..till (dates bound the days, times the hours of each day)
-- holds at now; and a few words saying why not. prefix names the fields in errors.
local function in_window(from, till, prefix)
  local from_date, from_time = bound(from, prefix .. "from")
  local until_date, until_time = bound(till, prefix .. "until")
  if now.date < (from_date or "00000000") or now.date > (until_date or "99999999") then
    return false, "outside the window's dates"
  end
  local t = (string.gsub(now.time, ":", ""))
  local open, close = from_time or "0000", until_time or "2359"
  local inside
  if open <= close then inside = t >= open and t <= close else inside = t >= open or t <= close end
  if not inside then return false, "outside the window's hours" end
  return true
end

-- Whether the schedule of entry e holds at now; and a few words saying why.
local function scheduled(e)
  local inside, why = in_window(e.from, e["until"], "")
  if not inside then return false, why end
  if e.days == nil and e.office_hours == nil then return true, "inside the window" end
  for _, d in ipairs(e.days or {}) do
    if not DAYS[d] then error("days: '" .. tostring(d) .. "' is not mon..sun", 0) end
    if d == now.weekday then return true, "on " .. d end
  end
  if e.office_hours then
    local t = string.gsub(now.time, ":", "")
    local open = hhmm(e.office_hours[1] or "", "office_hours[1]")
    local close = hhmm(e.office_hours[2] or "", "office_hours[2]")
    if t < open or t >= close then return true, "outside office hours" end
    return false, "within office hours"
  end
  return false, "not a forwarding day"
end

local e = config[msg.user]
if e == nil then return end
local at = now.weekday .. " " .. now.date .. " " .. now.time

-- The assistants window: outside it, the user's assistants are switched off.
local has_assistants_window = e.assistants_from ~= nil or e.assistants_until ~= nil
if has_assistants_window then
  local inside, why = in_window(e.assistants_from, e.assistants_until, "assistants_")
  if not inside then
    log("user_redirect: assistants " .. why .. " (" .. at .. "): " .. msg.user
        .. "'s assistants are not used")
    no_assistants()
  end
end

-- An entry with only an assistants window leaves the forwarding alone.
if has_assistants_window and e.to == nil and e.mode == nil and e.from == nil
    and e["until"] == nil and e.days == nil and e.office_hours == nil then
  return
end

local to = e.to or user.forward_to
if to == nil or string.match(to, "^[%s;,]*$") then
  log("user_redirect: no forwarding address for " .. msg.user .. "; routed as usual")
  return
end
local mode = e.mode or "redirect"
if mode ~= "redirect" and mode ~= "copy" then
  error("mode: '" .. tostring(mode) .. "' is not redirect or copy", 0)
end

local on, why = scheduled(e)
if on and msg.quarantined and user.no_forward_quarantined == "true" then
  -- the guide's "Don't use forwardings or assistants if mail would be quarantined"
  log("user_redirect: " .. why .. " (" .. at .. "): kept, not forwarded: the message would be"
      .. " quarantined")
  keep()
elseif on then
  log("user_redirect: " .. why .. " (" .. at .. "): " .. mode .. " to " .. to)
  if mode == "redirect" then redirect(to) else forward(to) end
elseif e.to == nil then
  -- the user's own Forward To follows the schedule: off outside it
  log("user_redirect: " .. why .. " (" .. at .. "): " .. msg.user .. "'s Forward To is not"
      .. " used, the rest of " .. msg.user .. "'s own routing applies")
  no_forwarding()
else
  -- no decision: the user's own routing (assistants, size forwarding, Forward To) applies
  log("user_redirect: " .. why .. " (" .. at .. "): no decision, " .. msg.user
      .. "'s own routing applies")
end
