-- user_redirect.lua: time-dependent forwarding (admin guide 4.5, "Time Dependent Forwarding").
--
-- Pillarbox runs this script for every local recipient, in the routing-script sandbox
-- (docs/routing-scripts.md). An administrator edits the `config` table below: one entry per
-- user name says WHEN that user's mail is forwarded and WHERE. A user without an entry is
-- routed as if this script were absent (their ordinary Forward To settings apply).
--
-- For a user with an entry, this script decides the forwarding:
--   * inside the schedule: the mail goes to `to` (default: the user's Forward To setting),
--     without a local copy (mode "redirect") or with one (mode "copy");
--   * outside it: the mail is kept in the user's INBOX and not forwarded;
--   * a message the spam filter quarantines is kept (in the quarantine) and not forwarded when
--     the user has "Don't use forwardings or assistants if mail would be quarantined"
--     (user.no_forward_quarantined), as the user's ordinary forwarding would be.
--
-- Fields of an entry (all optional):
--   to           = "phil@example.com; ann@example.com"  -- default: the user's forward_to
--   mode         = "redirect" or "copy"                 -- default: "redirect"
--   from         = "20140810" or "08:00" or "20140810 08:00"  -- the window's start
--   ["until"]    = "20140820" or "18:00" or "20140820 18:00"  -- the window's end (inclusive)
--       As in the guide: a missing date or time means "as early" (from) or "as late" (until)
--       as possible: from = "20140810" alone is 10 August 2014 at 00:00 to the end of time.
--   days         = { "sat", "sun" }       -- forward all day on these weekdays
--   office_hours = { "08:00", "18:00" }   -- forward outside these hours (the end excluded)
-- With neither days nor office_hours, mail is forwarded at any time inside the window;
-- with them, only on those days or outside those hours. Times are the server's local time.
--
-- CONFIG BEGIN
local config = {
  -- sue = { to = "phil@example.com", office_hours = { "08:00", "18:00" },
  --         days = { "sat", "sun" } },
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

-- A window bound as a comparable "YYYYMMDDHHMM"; missing parts take the given defaults.
local function bound(text, what, low_date, low_time)
  if text == nil or text == "" then return low_date .. low_time end
  local date, time = string.match(text, "^(%d%d%d%d%d%d%d%d)%s+(%S+)$")
  if not date then date = string.match(text, "^(%d%d%d%d%d%d%d%d)$") end
  if not date and not time then time = text end
  if date == nil then date = low_date end
  return date .. (time and hhmm(time, what) or low_time)
end

-- Whether the schedule of entry e holds at now; and a few words saying why.
local function scheduled(e)
  local stamp = now.date .. string.gsub(now.time, ":", "")
  if stamp < bound(e.from, "from", "00000000", "0000")
     or stamp > bound(e["until"], "until", "99999999", "2359") then
    return false, "outside the window"
  end
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
local at = now.weekday .. " " .. now.date .. " " .. now.time
if on and msg.quarantined and user.no_forward_quarantined == "true" then
  -- the guide's "Don't use forwardings or assistants if mail would be quarantined"
  log("user_redirect: " .. why .. " (" .. at .. "): kept, not forwarded: the message would be"
      .. " quarantined")
  keep()
elseif on then
  log("user_redirect: " .. why .. " (" .. at .. "): " .. mode .. " to " .. to)
  if mode == "redirect" then redirect(to) else forward(to) end
else
  log("user_redirect: " .. why .. " (" .. at .. "): kept, not forwarded")
  keep()
end
