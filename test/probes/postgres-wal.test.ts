// WAL segments waiting to be archived, from pg_stat_archiver's last archived file name and the
// file being written (names as PostgreSQL 15 writes them, 16 MiB and 1 GiB segments).
import t from 'tap';
import { segmentsWaiting } from '../../src/probes/postgres/client.ts';

const MiB16 = 16 * 1024 * 1024;

t.test('segments between the last archived and the current one', async (t) => {
  t.equal(segmentsWaiting('000000010000000000000003', '000000010000000000000004', MiB16), 0, 'the next one is being written: nothing waits');
  t.equal(segmentsWaiting('000000010000000000000003', '000000010000000000000007', MiB16), 3);
  t.equal(segmentsWaiting('0000000100000000000000FF', '000000010000000100000000', MiB16), 0, 'across a log file boundary (256 segments of 16 MiB)');
  t.equal(segmentsWaiting('000000010000000000000002', '000000010000000100000001', 1024 ** 3), 2, '4 segments of 1 GiB per log file');
  t.equal(segmentsWaiting('000000010000000000000002.00000028.backup', '000000010000000000000004', MiB16), 1, 'a backup history file names its segment');
  t.equal(segmentsWaiting('000000010000000000000005', '000000010000000000000005', MiB16), 0, 'never negative');
});

t.test('unknown when the names do not tell', async (t) => {
  t.equal(segmentsWaiting(null, '000000010000000000000004', MiB16), null, 'nothing archived yet');
  t.equal(segmentsWaiting('00000002.history', '000000020000000000000004', MiB16), null, 'a timeline history file');
  t.equal(segmentsWaiting('000000010000000000000003', null, MiB16), null, 'a standby');
});
