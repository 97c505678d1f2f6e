'use strict';
const { tcpInfo } = require('sockctl');
const smoke = require('./smoke.cjs');

smoke(tcpInfo).then((result) => console.log(JSON.stringify({ entry: 'require', ...result })));
