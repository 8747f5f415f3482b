-- netfilter correlate, fleet scale: the same join in SQL (Athena engine v3 / Trino) over
-- Security Lake's OCSF tables. See examples/sql/README.md for the tables, parameters and limits.
--
-- Inputs (rename to your tables):
--   vpc_flow   Security Lake's VPC Flow Logs source (OCSF 1.1.0 Network Activity, source version 2),
--              e.g. amazon_security_lake_glue_db_us_east_1.amazon_security_lake_table_us_east_1_vpc_flow_2_0
--   host_net   netfilter's events sent as a custom source (netfilter --format ocsf), same OCSF class
--   hosts      which host (device.hostname = audit node) has which instance / interface / addresses
-- Output: one row per flow of a known host, with its attribution, or why it has none.

WITH
params AS (
  SELECT 5000 AS skew_ms,            -- --skew 5
         60000 AS lag_ms,            -- --flow-lag 60
         DATE '2026-11-25' AS day    -- the partition to join (eventday)
),

hosts (hostname, instance_uid, ip) AS (
  VALUES ('web-1', 'i-0123456789abcdef0', '10.0.1.5')
),

-- The flows of the hosts, read from the host's side (rule: the host is the source or the
-- destination address; the ENI-side ids help when addresses are secondary).
flows AS (
  SELECT f.time, f.start_time, f.end_time,
         f.src_endpoint.ip AS src_ip, f.src_endpoint.port AS src_port,
         f.dst_endpoint.ip AS dst_ip, f.dst_endpoint.port AS dst_port,
         f.connection_info.protocol_num AS protocol,
         f.action, f.traffic.bytes AS bytes, f.traffic.packets AS packets,
         h.hostname,
         CASE WHEN f.src_endpoint.ip = h.ip THEN f.dst_endpoint.ip ELSE f.src_endpoint.ip END AS remote_ip,
         CASE WHEN f.src_endpoint.ip = h.ip THEN f.dst_endpoint.port ELSE f.src_endpoint.port END AS remote_port,
         CASE WHEN f.src_endpoint.ip = h.ip THEN f.src_endpoint.port ELSE f.dst_endpoint.port END AS host_port,
         f.src_endpoint.ip = h.ip AS outbound,
         -- a flow key: Security Lake rows have no id of their own
         to_hex(md5(to_utf8(concat_ws('|', f.src_endpoint.ip, CAST(f.src_endpoint.port AS varchar), f.dst_endpoint.ip,
           CAST(f.dst_endpoint.port AS varchar), CAST(f.connection_info.protocol_num AS varchar), CAST(f.start_time AS varchar),
           coalesce(f.src_endpoint.interface_uid, f.dst_endpoint.interface_uid, ''))))) AS flow_id
  FROM vpc_flow f
  JOIN hosts h ON h.ip IN (f.src_endpoint.ip, f.dst_endpoint.ip)
               OR h.instance_uid IN (f.src_endpoint.instance_uid, f.dst_endpoint.instance_uid)
  CROSS JOIN params p
  WHERE f.eventday = date_format(p.day, '%Y%m%d')
),

-- The host events that name a peer: outbound (connect, send: the peer is dst_endpoint) and inbound
-- (accept, receive: the peer is src_endpoint). IPv4-mapped peers are already IPv4 in netfilter's OCSF.
events AS (
  SELECT e.time, e.device.hostname AS hostname, e.metadata.uid AS event_id,
         e.actor.process.pid AS pid, e.actor.process.file.path AS exe, e.actor.process.cmd_line AS cmd_line,
         e.actor.user.uid AS uid,
         CASE WHEN e.connection_info.direction_id = 2 THEN e.dst_endpoint.ip ELSE e.src_endpoint.ip END AS remote_ip,
         CASE WHEN e.connection_info.direction_id = 2 THEN e.dst_endpoint.port ELSE e.src_endpoint.port END AS remote_port,
         CASE WHEN e.connection_info.direction_id = 2 THEN e.src_endpoint.port ELSE e.dst_endpoint.port END AS bound_port,
         e.connection_info.protocol_num AS protocol,
         -- netfilter's guess when the socket() was not seen (unmapped is a map in the custom source)
         CASE element_at(e.unmapped, 'transport_hint') WHEN 'tcp' THEN 6 WHEN 'udp' THEN 17 END AS hint_protocol,
         -- calls that failed before sending anything
         e.status_code IN ('EPERM', 'EACCES', 'ENETUNREACH', 'EADDRNOTAVAIL', 'EAFNOSUPPORT', 'EINVAL', 'EBADF',
                           'EISCONN', 'EALREADY', 'EADDRINUSE', 'ENOBUFS', 'EMSGSIZE', 'EAGAIN', 'ENETDOWN') AS not_sent
  FROM host_net e
  CROSS JOIN params p
  WHERE e.eventday = date_format(p.day, '%Y%m%d')
    AND e.connection_info.direction_id IN (1, 2)
    AND e.activity_id IN (1, 3, 4, 5, 6)
),

-- The pair rule: same host, same peer ip:port (ICMP: no ports), a bound port equal to the flow's
-- host port, the protocol agreeing (or the hint, or anything when neither is known), and the event
-- time in [start − lag − skew, end + 1 s + skew].
pairs AS (
  SELECT f.flow_id, e.event_id, e.pid, e.exe, e.cmd_line, e.uid, e.hostname,
         CASE WHEN e.protocol IS NOT NULL THEN 'exact'
              WHEN e.hint_protocol IS NOT NULL THEN 'transport_hint'
              ELSE 'any_protocol' END AS strength,
         e.bound_port IS NOT NULL AND e.bound_port <> 0 AND e.bound_port = f.host_port AS five_tuple
  FROM flows f
  JOIN events e
    ON e.hostname = f.hostname
   AND e.remote_ip = f.remote_ip
   AND (f.protocol IN (1, 58) OR e.remote_port = f.remote_port)
   AND (f.protocol IN (1, 58) OR e.bound_port IS NULL OR e.bound_port = 0 OR e.bound_port = f.host_port)
   AND (e.protocol = f.protocol OR (e.protocol IS NULL AND (e.hint_protocol = f.protocol OR e.hint_protocol IS NULL)))
   AND NOT e.not_sent
  CROSS JOIN params p
  WHERE e.time BETWEEN f.start_time - p.lag_ms - p.skew_ms AND f.end_time + 1000 + p.skew_ms
),

-- A process with a 5-tuple match excludes the peer-only matches of the same flow.
kept AS (
  SELECT *, max(CASE WHEN five_tuple THEN 1 ELSE 0 END) OVER (PARTITION BY flow_id) AS any_five_tuple
  FROM pairs
),

candidates AS (
  SELECT flow_id, hostname, pid, exe, max(cmd_line) AS cmd_line, max(uid) AS uid,
         array_agg(event_id ORDER BY event_id) AS event_ids,
         CASE max(CASE strength WHEN 'exact' THEN 2 WHEN 'transport_hint' THEN 1 ELSE 0 END)
           WHEN 2 THEN 'exact' WHEN 1 THEN 'transport_hint' ELSE 'any_protocol' END AS match
  FROM kept
  WHERE any_five_tuple = 0 OR five_tuple
  GROUP BY flow_id, hostname, pid, exe
),

attribution AS (
  SELECT flow_id,
         count(*) AS candidates,
         -- the one process; NULL when several (never one picked)
         CASE WHEN count(*) = 1 THEN arbitrary(pid) END AS pid,
         CASE WHEN count(*) = 1 THEN arbitrary(exe) END AS exe,
         CASE WHEN count(*) = 1 THEN arbitrary(cmd_line) END AS cmd_line,
         CASE WHEN count(*) = 1 THEN arbitrary(uid) END AS uid,
         flatten(array_agg(event_ids)) AS event_ids,
         CASE WHEN count(*) > 1 THEN array_agg(CAST(ROW(pid, exe, match) AS ROW(pid integer, exe varchar, match varchar))) END AS ambiguous
  FROM candidates
  GROUP BY flow_id
)

SELECT f.hostname, from_unixtime(f.start_time / 1000) AS start, f.src_ip, f.src_port, f.dst_ip, f.dst_port,
       f.protocol, f.action, f.packets, f.bytes,
       CASE WHEN f.outbound THEN 'outbound' ELSE 'inbound' END AS direction,
       a.pid, a.exe, a.cmd_line, a.uid, a.event_ids, a.ambiguous,
       CASE WHEN a.flow_id IS NOT NULL THEN NULL
            WHEN f.action = 'Denied' AND NOT f.outbound THEN 'rejected_inbound'
            ELSE 'no_host_event' END AS unattributed
FROM flows f
LEFT JOIN attribution a ON a.flow_id = f.flow_id
ORDER BY f.start_time;
