// The cache-tier scenario (see README.md here) through node-redis, the
// official Node.js client, as Debian packages it (`node-redis`).
// Usage: node node-redis.js PORT   -- prints one line per step.
'use strict';
const { createClient } = require('redis');

const port = Number(process.argv[2]);
const out = (step, value) => console.log(`${step}: ${JSON.stringify(value)}`);
const err = async (step, promise) => {
  try { out(step, await promise); } catch (e) { out(step, `error ${e.message}`); }
};

async function main() {
  const client = createClient({ socket: { host: '127.0.0.1', port } });
  client.on('error', (e) => console.log(`client error: ${e.message}`));
  await client.connect();

  // Read path: miss, fill with a TTL, hit.
  out('get miss', await client.get('cache:item:42'));
  out('set ex', await client.set('cache:item:42', '{"id":42,"name":"widget"}', { EX: 300 }));
  out('get hit', await client.get('cache:item:42'));
  const ttl = await client.ttl('cache:item:42');
  out('ttl in range', ttl > 0 && ttl <= 300);
  // Stampede lock.
  out('lock first', await client.set('lock:item:42', '1', { NX: true, EX: 60 }));
  out('lock second', await client.set('lock:item:42', '1', { NX: true, EX: 60 }));
  // Write path: invalidate.
  out('unlink', await client.unlink('cache:item:42'));
  out('del missing', await client.del('cache:item:42'));
  out('exists', await client.exists(['cache:item:42', 'lock:item:42']));

  // Counters.
  out('incr', await client.incr('hits'));
  out('incrby', await client.incrBy('hits', 10));
  out('decr', await client.decr('hits'));
  out('incrbyfloat', await client.incrByFloat('ratio', 0.25));

  // Pipelined batch (node-redis pipelines commands issued in one tick).
  const keys = Array.from({ length: 200 }, (_, i) => `batch:${i}`);
  const sets = await Promise.all(keys.map((k, i) => client.set(k, `v${i}`)));
  out('pipelined sets ok', sets.every((r) => r === 'OK'));
  const gets = await Promise.all(keys.map((k) => client.get(k)));
  out('pipelined gets match', gets.every((v, i) => v === `v${i}`));
  out('mget', await client.mGet(['batch:0', 'batch:199', 'batch:missing']));

  // Transaction.
  out('multi exec', await client.multi().incr('tx:n').set('tx:s', 'x').get('tx:s').exec());
  // Optimistic locking: a WATCHed key changed by another client aborts EXEC.
  const other = client.duplicate();
  await other.connect();
  await client.watch('tx:watched');
  await other.set('tx:watched', 'changed');
  await err('watch abort', client.multi().set('tx:watched', 'mine').exec());
  out('watched value', await client.get('tx:watched'));

  // Types.
  out('hset', await client.hSet('user:1', { name: 'ann', age: '30' }));
  out('hgetall', await client.hGetAll('user:1'));
  out('hincrby', await client.hIncrBy('user:1', 'age', 1));
  out('rpush', await client.rPush('queue', ['a', 'b', 'c']));
  out('lrange', await client.lRange('queue', 0, -1));
  out('lpop', await client.lPop('queue'));
  out('sadd', await client.sAdd('tags', ['x', 'y', 'z', 'x']));
  out('smembers sorted', (await client.sMembers('tags')).sort());
  out('sismember', await client.sIsMember('tags', 'y'));
  out('zadd', await client.zAdd('board', [{ score: 3, value: 'c' }, { score: 1, value: 'a' }, { score: 2, value: 'b' }]));
  out('zrange withscores', await client.zRangeWithScores('board', 0, -1));
  out('zscore', await client.zScore('board', 'b'));
  out('type', await client.type('board'));

  // Errors reach the caller with Redis's text.
  await err('wrongtype', client.get('user:1'));
  out('set text', await client.set('cache:text', 'abc'));
  await err('not integer', client.incr('cache:text'));
  await err('unknown command', client.sendCommand(['NOSUCHCOMMAND', 'x']));
  await err('arity', client.sendCommand(['GET']));

  // Binary-safe and large values.
  const binary = Buffer.from([0, 1, 13, 10, 255, 0, 36, 42]);
  out('set binary', await client.set('bin', binary));
  const back = await client.get(client.commandOptions({ returnBuffers: true }), 'bin');
  out('binary roundtrip', Buffer.compare(back, binary) === 0);
  const large = 'x'.repeat(1024 * 1024) + 'end';
  out('set 1MiB', await client.set('large', large));
  out('strlen', await client.strLen('large'));
  out('large roundtrip', (await client.get('large')) === large);

  // Expiry controls.
  out('expire', await client.expire('hits', 100));
  out('persist', await client.persist('hits'));
  out('pttl after persist', await client.pTTL('hits'));
  out('set px', await client.set('short', 'v', { PX: 50 }));
  await new Promise((r) => setTimeout(r, 120));
  out('expired', await client.get('short'));

  // SCAN over a pattern.
  const found = [];
  for await (const key of client.scanIterator({ MATCH: 'batch:1*', COUNT: 20 })) found.push(key);
  out('scan match count', new Set(found).size);

  // Invalidation by pub/sub: a subscriber deletes what the message names.
  const subscriber = client.duplicate();
  await subscriber.connect();
  // subscribe() resolves once the server has confirmed the subscription.
  let deliver;
  const received = new Promise((resolve) => { deliver = resolve; });
  await subscriber.subscribe('invalidate', (message) => deliver(message));
  out('publish receivers', await client.publish('invalidate', 'cache:item:7'));
  out('message', await received);
  let deliverPattern;
  const patterned = new Promise((resolve) => { deliverPattern = resolve; });
  await subscriber.pSubscribe('inv:*', (message, channel) => deliverPattern([channel, message]));
  out('publish pattern receivers', await client.publish('inv:users', 'user:1'));
  out('pmessage', await patterned);

  out('client setname', await client.clientSetName('worker-1'));
  out('client getname', await client.clientGetName());
  out('dbsize', await client.dbSize());
  out('ping', await client.ping());

  await subscriber.quit();
  await other.quit();
  await client.quit();
}

main().catch((e) => { console.log(`failed: ${e.stack}`); process.exit(1); });
