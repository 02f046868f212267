-- OpenPassMarket benchmark script for the Lua driver (not part of Lua).
-- Deterministic: fixed random seed, no time or addresses printed, and hash-table
-- iteration (whose order depends on a per-run string seed) is always sorted before use.
-- Floats are printed with a fixed number of digits.

local results = {}
local function record(name, ...)
  local parts = { name }
  for i = 1, select("#", ...) do parts[#parts + 1] = tostring((select(i, ...))) end
  local line = table.concat(parts, " ")
  results[#results + 1] = line
  print(line)
end

-- 1. fannkuch-redux (integer permutations, array indexing)
local function fannkuch(n)
  local perm, perm1, count = {}, {}, {}
  local maxflips, checksum, r, nperm = 0, 0, n, 0
  for i = 0, n - 1 do perm1[i] = i end
  while true do
    while r ~= 1 do count[r - 1] = r; r = r - 1 end
    for i = 0, n - 1 do perm[i] = perm1[i] end
    local flips = 0
    local k = perm[0]
    while k ~= 0 do
      local i, j = 0, k
      while i < j do perm[i], perm[j] = perm[j], perm[i]; i = i + 1; j = j - 1 end
      flips = flips + 1
      k = perm[0]
    end
    if flips > maxflips then maxflips = flips end
    checksum = checksum + (nperm % 2 == 0 and flips or -flips)
    while true do
      if r == n then return checksum, maxflips end
      local p0 = perm1[0]
      for i = 0, r - 1 do perm1[i] = perm1[i + 1] end
      perm1[r] = p0
      count[r] = count[r] - 1
      if count[r] > 0 then break end
      r = r + 1
    end
    nperm = nperm + 1
  end
end
record("fannkuch(7)", fannkuch(7))

-- 2. n-body (floating point, sqrt, records as tables)
local function nbody(steps)
  local PI, DAYS = math.pi, 365.24
  local SOLAR = 4 * PI * PI
  local bodies = {
    { x = 0, y = 0, z = 0, vx = 0, vy = 0, vz = 0, mass = SOLAR },
    { x = 4.84143144246472090e+00, y = -1.16032004402742839e+00, z = -1.03622044471123109e-01,
      vx = 1.66007664274403694e-03 * DAYS, vy = 7.69901118419740425e-03 * DAYS,
      vz = -6.90460016972063023e-05 * DAYS, mass = 9.54791938424326609e-04 * SOLAR },
    { x = 8.34336671824457987e+00, y = 4.12479856412430479e+00, z = -4.03523417114321381e-01,
      vx = -2.76742510726862411e-03 * DAYS, vy = 4.99852801234917238e-03 * DAYS,
      vz = 2.30417297573763929e-05 * DAYS, mass = 2.85885980666130812e-04 * SOLAR },
    { x = 1.28943695621391310e+01, y = -1.51111514016986312e+01, z = -2.23307578892655734e-01,
      vx = 2.96460137564761618e-03 * DAYS, vy = 2.37847173959480950e-03 * DAYS,
      vz = -2.96589568540237556e-05 * DAYS, mass = 4.36624404335156298e-05 * SOLAR },
    { x = 1.53796971148509165e+01, y = -2.59193146099879641e+01, z = 1.79258772950371181e-01,
      vx = 2.68067772490389322e-03 * DAYS, vy = 1.62824170038242295e-03 * DAYS,
      vz = -9.51592254519715870e-05 * DAYS, mass = 5.15138902046611451e-05 * SOLAR },
  }
  local n = #bodies
  local px, py, pz = 0, 0, 0
  for i = 1, n do
    local b = bodies[i]
    px = px + b.vx * b.mass; py = py + b.vy * b.mass; pz = pz + b.vz * b.mass
  end
  bodies[1].vx, bodies[1].vy, bodies[1].vz = -px / SOLAR, -py / SOLAR, -pz / SOLAR
  local function energy()
    local e = 0
    for i = 1, n do
      local b = bodies[i]
      e = e + 0.5 * b.mass * (b.vx * b.vx + b.vy * b.vy + b.vz * b.vz)
      for j = i + 1, n do
        local c = bodies[j]
        local dx, dy, dz = b.x - c.x, b.y - c.y, b.z - c.z
        e = e - b.mass * c.mass / math.sqrt(dx * dx + dy * dy + dz * dz)
      end
    end
    return e
  end
  local before = energy()
  local dt = 0.01
  for _ = 1, steps do
    for i = 1, n do
      local b = bodies[i]
      for j = i + 1, n do
        local c = bodies[j]
        local dx, dy, dz = b.x - c.x, b.y - c.y, b.z - c.z
        local d2 = dx * dx + dy * dy + dz * dz
        local mag = dt / (d2 * math.sqrt(d2))
        local bm, cm = b.mass * mag, c.mass * mag
        b.vx = b.vx - dx * cm; b.vy = b.vy - dy * cm; b.vz = b.vz - dz * cm
        c.vx = c.vx + dx * bm; c.vy = c.vy + dy * bm; c.vz = c.vz + dz * bm
      end
    end
    for i = 1, n do
      local b = bodies[i]
      b.x = b.x + dt * b.vx; b.y = b.y + dt * b.vy; b.z = b.z + dt * b.vz
    end
  end
  return string.format("%.9f", before), string.format("%.9f", energy())
end
record("nbody(1000)", nbody(1000))

-- 3. spectral norm (float arithmetic in nested loops, closures)
local function spectral(n)
  local function A(i, j)
    local ij = i + j - 1
    return 1.0 / (ij * (ij - 1) * 0.5 + i)
  end
  local function Av(x, y)
    for i = 1, n do
      local a = 0
      for j = 1, n do a = a + x[j] * A(i, j) end
      y[i] = a
    end
  end
  local function Atv(x, y)
    for i = 1, n do
      local a = 0
      for j = 1, n do a = a + x[j] * A(j, i) end
      y[i] = a
    end
  end
  local u, v, t = {}, {}, {}
  for i = 1, n do u[i] = 1 end
  for _ = 1, 10 do
    Av(u, t); Atv(t, v)
    Av(v, t); Atv(t, u)
  end
  local vBv, vv = 0, 0
  for i = 1, n do
    local ui, vi = u[i], v[i]
    vBv = vBv + ui * vi; vv = vv + vi * vi
  end
  return string.format("%.9f", math.sqrt(vBv / vv))
end
record("spectralnorm(60)", spectral(60))

-- 4. libm through the math library
local function mathlib()
  local acc = 0.0
  for i = 1, 2000 do
    local x = i / 97.0
    acc = acc + math.sin(x) * math.cos(x / 3) + math.exp(-x / 50) + math.log(x + 1)
      + math.log(x + 2, 2) + math.log(x + 3, 10) + (x + 1) ^ 0.37 + math.atan(x, i % 7 + 1)
      + math.fmod(i * 1.5, 7.25) + math.tan(x / 1000) + math.asin(1 / (i + 1)) + math.acos(i / 2001)
    acc = acc + math.floor(x * 3.7) - math.ceil(x * 2.1) + math.abs(math.sin(i)) + math.modf(x * 1.1)
  end
  local ints = 0
  for i = 1, 5000 do
    ints = ints ~ (i * 2654435761) + (i // 3) - (i % 7) + (i << (i % 13)) + (i >> 2) + (math.ult(i, 100 * i % 4096) and 1 or 0)
    ints = ints & 0x7fffffffffff
  end
  return string.format("%.6f", acc), ints, math.tointeger(3.0), math.type(1), math.type(1.0), 7 // 2,
    7.0 // 2, -7 % 3, 2 ^ 10, math.maxinteger // 3, string.format("%.4f", math.pi)
end
record("mathlib", mathlib())

-- 5. strings: generation, patterns, gsub, formatting, sorting, frequency counts
local function strings()
  local syll = { "ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "ze", "qua", "the", "ing" }
  local state = 12345
  local function rnd(n)
    state = (state * 1103515245 + 12345) % 2147483648
    return (state >> 16) % n + 1
  end
  local words = {}
  for i = 1, 3000 do
    local w = {}
    for _ = 1, rnd(4) do w[#w + 1] = syll[rnd(#syll)] end
    words[i] = table.concat(w)
  end
  local text = table.concat(words, " ")
  local freq = {}
  for w in text:gmatch("%a+") do freq[w] = (freq[w] or 0) + 1 end
  local keys = {}
  for k in pairs(freq) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b)
    if freq[a] ~= freq[b] then return freq[a] > freq[b] end
    return a < b
  end)
  local top = {}
  for i = 1, 5 do top[i] = keys[i] .. "=" .. freq[keys[i]] end
  local vowels = select(2, text:gsub("[aeiou]", ""))
  local swapped = text:gsub("(%a+) (%a+)", "%2 %1")
  local upper = text:upper():sub(1, 40)
  local found = {}
  for a, b in text:gmatch("(ka)(%a-)lo") do found[#found + 1] = a .. b end
  local fmt = string.format("%5d|%-8s|%08.3f|%x|%q", 42, "abc", 3.14159, 48879, "a\nb\"c")
  local rev = string.rep("abc", 5, "-"):reverse()
  local bytes = 0
  for i = 1, #upper do bytes = bytes + upper:byte(i) end
  local packed = string.pack("<i4 d s2", -123456, 2.5, "packed")
  local a, b, c = string.unpack("<i4 d s2", packed)
  return #keys, table.concat(top, ","), vowels, fnv1a(text), fnv1a(swapped), upper, #found,
    fnv1a(fmt), rev, bytes, #packed, a, b, c
end
record("strings", strings())

-- 6. coroutines, closures, metatables, varargs, pcall/error, goto
local function control()
  local primes = coroutine.wrap(function()
    local found = {}
    local n = 2
    while true do
      local isprime = true
      for _, p in ipairs(found) do
        if p * p > n then break end
        if n % p == 0 then isprime = false; break end
      end
      if isprime then found[#found + 1] = n; coroutine.yield(n) end
      n = n + 1
    end
  end)
  local sum, last = 0, 0
  for _ = 1, 1500 do last = primes(); sum = sum + last end

  local Vec = {}
  Vec.__index = Vec
  Vec.__add = function(p, q) return setmetatable({ x = p.x + q.x, y = p.y + q.y }, Vec) end
  Vec.__eq = function(p, q) return p.x == q.x and p.y == q.y end
  Vec.__lt = function(p, q) return p:len2() < q:len2() end
  Vec.__tostring = function(p) return "(" .. p.x .. "," .. p.y .. ")" end
  function Vec.len2(p) return p.x * p.x + p.y * p.y end
  local function V(x, y) return setmetatable({ x = x, y = y }, Vec) end
  local vs = {}
  for i = 1, 200 do vs[i] = V((i * 37) % 101 - 50, (i * 53) % 89 - 44) end
  table.sort(vs, function(p, q) return p < q or (not (q < p) and (p.x < q.x or (p.x == q.x and p.y < q.y))) end)
  local total = V(0, 0)
  for _, v in ipairs(vs) do total = total + v end

  local function counter()
    local c = 0
    return function(k) c = c + (k or 1); return c end
  end
  local c1, c2 = counter(), counter()
  for i = 1, 100 do c1(i); if i % 3 == 0 then c2() end end

  local errors = 0
  for i = 1, 50 do
    local ok, msg = pcall(function()
      if i % 5 == 0 then error({ code = i }) end
      if i % 7 == 0 then error("seven " .. i, 0) end
      return i
    end)
    if not ok then errors = errors + (type(msg) == "table" and msg.code or 1000) end
  end

  local function sumargs(...)
    local s = 0
    for i = 1, select("#", ...) do s = s + (select(i, ...)) end
    return s, select("#", ...)
  end

  local i, skipped = 0, 0
  ::again::
  i = i + 1
  if i % 4 == 0 then skipped = skipped + 1 end
  if i < 100 then goto again end

  local weak = setmetatable({}, { __mode = "k" })
  for k = 1, 100 do weak[{}] = k end
  collectgarbage("collect")
  local alive = 0
  for _ in pairs(weak) do alive = alive + 1 end

  return last, sum, tostring(vs[1]), tostring(vs[#vs]), tostring(total), c1(0), c2(0), errors,
    sumargs(1, 2, 3, 4, 5), skipped, alive
end
record("control", control())

-- 7. tables: random data (fixed seed), sort, binary search, table library, utf8
local function tables()
  math.randomseed(42)
  local t = {}
  for i = 1, 4000 do t[i] = math.random(1, 1000000) end
  local copy = table.move(t, 1, #t, 1, {})
  table.sort(copy)
  local function bsearch(a, x)
    local lo, hi = 1, #a
    while lo <= hi do
      local mid = (lo + hi) // 2
      if a[mid] < x then lo = mid + 1 elseif a[mid] > x then hi = mid - 1 else return mid end
    end
    return nil
  end
  local hits = 0
  for i = 1, #t, 7 do if bsearch(copy, t[i]) then hits = hits + 1 end end
  local evens = {}
  for _, v in ipairs(copy) do if v % 2 == 0 then table.insert(evens, v) end end
  table.insert(evens, 1, -1)
  local removed = table.remove(evens)
  local floats = {}
  for i = 1, 10 do floats[i] = string.format("%.3f", math.random()) end
  local u = "añb€c𝄞d"
  local cps = {}
  for _, cp in utf8.codes(u) do cps[#cps + 1] = cp end
  return copy[1], copy[#copy], copy[2000], hits, #evens, removed, table.concat(floats, ","),
    utf8.len(u), #u, table.concat(cps, "."), utf8.char(72, 228, 8364), table.unpack({ 1, 2, 3 })
end
record("tables", tables())

-- 8. io: read this script through the io library and count lines, words and bytes
local function readself()
  local lines, words, bytes, longest = 0, 0, 0, 0
  for line in io.lines(arg[0]) do
    lines = lines + 1
    bytes = bytes + #line + 1
    if #line > longest then longest = #line end
    for _ in line:gmatch("%S+") do words = words + 1 end
  end
  local f = assert(io.open(arg[0], "rb"))
  local all = f:read("a")
  f:close()
  return lines, words, bytes, longest, #all, fnv1a(all)
end
record("readself", readself())

function summary()
  return #results, fnv1a(table.concat(results, "\n"))
end
