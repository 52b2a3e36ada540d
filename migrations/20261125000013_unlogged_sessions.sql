-- Sessions skip the write-ahead log. A session row changes on sign-in, on
-- each flash message and on activity; a commit that wrote only unlogged
-- tables does not wait for the disk flush, which took 3.4 ms of every such
-- request here (a decision's POST waited for two flushes, its own and its
-- flash message's). The price: after a database crash (not a clean
-- restart) or a failover to a replica, everyone signs in again. Nothing
-- else is lost: sessions hold no data of their own.
alter table sessions set unlogged;
