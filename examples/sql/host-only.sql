-- netfilter correlate, fleet scale: host events that no accepted flow shows, with the reason.
-- Same tables and parameters as correlate.sql (see README.md); the `params`, `hosts`, `flows`
-- and `events` CTEs are the same and are repeated here so the file runs on its own.

WITH
params AS (
  SELECT 5000 AS skew_ms, 60000 AS lag_ms, DATE '2026-11-25' AS day
),
hosts (hostname, instance_uid, ip) AS (
  VALUES ('web-1', 'i-0123456789abcdef0', '10.0.1.5')
),
flows AS (
  SELECT f.start_time, f.end_time, f.action, f.connection_info.protocol_num AS protocol, h.hostname,
         CASE WHEN f.src_endpoint.ip = h.ip THEN f.dst_endpoint.ip ELSE f.src_endpoint.ip END AS remote_ip,
         CASE WHEN f.src_endpoint.ip = h.ip THEN f.dst_endpoint.port ELSE f.src_endpoint.port END AS remote_port,
         CASE WHEN f.src_endpoint.ip = h.ip THEN f.src_endpoint.port ELSE f.dst_endpoint.port END AS host_port
  FROM vpc_flow f
  JOIN hosts h ON h.ip IN (f.src_endpoint.ip, f.dst_endpoint.ip)
               OR h.instance_uid IN (f.src_endpoint.instance_uid, f.dst_endpoint.instance_uid)
  CROSS JOIN params p
  WHERE f.eventday = date_format(p.day, '%Y%m%d')
),
events AS (
  SELECT e.time, e.device.hostname AS hostname, e.metadata.uid AS event_id,
         e.actor.process.pid AS pid, e.actor.process.file.path AS exe, e.status_code,
         CASE WHEN e.connection_info.direction_id = 2 THEN e.dst_endpoint.ip ELSE e.src_endpoint.ip END AS remote_ip,
         CASE WHEN e.connection_info.direction_id = 2 THEN e.dst_endpoint.port ELSE e.src_endpoint.port END AS remote_port,
         CASE WHEN e.connection_info.direction_id = 2 THEN e.src_endpoint.port ELSE e.dst_endpoint.port END AS bound_port,
         e.connection_info.protocol_num AS protocol,
         CASE element_at(e.unmapped, 'transport_hint') WHEN 'tcp' THEN 6 WHEN 'udp' THEN 17 END AS hint_protocol,
         e.status_code IN ('EPERM', 'EACCES', 'ENETUNREACH', 'EADDRNOTAVAIL', 'EAFNOSUPPORT', 'EINVAL', 'EBADF',
                           'EISCONN', 'EALREADY', 'EADDRINUSE', 'ENOBUFS', 'EMSGSIZE', 'EAGAIN', 'ENETDOWN') AS not_sent
  FROM host_net e
  CROSS JOIN params p
  WHERE e.eventday = date_format(p.day, '%Y%m%d')
    AND e.connection_info.direction_id IN (1, 2)
    AND e.activity_id IN (1, 3, 4, 5, 6)
    AND (CASE WHEN e.connection_info.direction_id = 2 THEN e.dst_endpoint.ip ELSE e.src_endpoint.ip END) IS NOT NULL
),
matched AS (
  SELECT e.event_id, e.hostname,
         count_if(f.action = 'Allowed') AS accepted,
         count_if(f.action = 'Denied') AS rejected
  FROM events e
  JOIN flows f
    ON f.hostname = e.hostname
   AND f.remote_ip = e.remote_ip
   AND (f.protocol IN (1, 58) OR f.remote_port = e.remote_port)
   AND (f.protocol IN (1, 58) OR e.bound_port IS NULL OR e.bound_port = 0 OR e.bound_port = f.host_port)
   AND (e.protocol = f.protocol OR (e.protocol IS NULL AND (e.hint_protocol = f.protocol OR e.hint_protocol IS NULL)))
   AND NOT e.not_sent
  CROSS JOIN params p
  WHERE e.time BETWEEN f.start_time - p.lag_ms - p.skew_ms AND f.end_time + 1000 + p.skew_ms
  GROUP BY e.event_id, e.hostname
)
SELECT e.hostname, from_unixtime(e.time / 1000) AS time, e.event_id, e.pid, e.exe, e.remote_ip, e.remote_port,
       CASE
         WHEN e.not_sent THEN 'not_sent'
         WHEN contains('127.0.0.0/8', CAST(e.remote_ip AS ipaddress)) OR e.remote_ip = '::1' THEN 'loopback'
         WHEN e.remote_ip IN (SELECT ip FROM hosts WHERE hostname = e.hostname) THEN 'self'
         WHEN e.remote_ip IN ('169.254.169.254', 'fd00:ec2::254') THEN 'never_logged:instance_metadata'
         WHEN e.remote_ip IN ('169.254.169.123', 'fd00:ec2::123') THEN 'never_logged:time_sync'
         WHEN e.remote_ip IN ('169.254.169.253', 'fd00:ec2::253') THEN 'never_logged:amazon_dns'
         WHEN e.protocol <> 6 AND e.remote_port IN (67, 68, 546, 547) THEN 'never_logged:dhcp'
         WHEN contains('169.254.0.0/16', CAST(e.remote_ip AS ipaddress)) OR contains('fe80::/10', CAST(e.remote_ip AS ipaddress)) THEN 'never_logged:link_local'
         WHEN contains('224.0.0.0/4', CAST(e.remote_ip AS ipaddress)) OR contains('ff00::/8', CAST(e.remote_ip AS ipaddress)) THEN 'never_logged:multicast'
         WHEN coalesce(m.rejected, 0) > 0 THEN 'rejected'
         ELSE 'no_flow'
       END AS reason
FROM events e
LEFT JOIN matched m ON m.event_id = e.event_id AND m.hostname = e.hostname
WHERE coalesce(m.accepted, 0) = 0
ORDER BY e.time;
