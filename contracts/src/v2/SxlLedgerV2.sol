// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {EpochFormats, EpochHeader} from "./EpochFormats.sol";
import {ISxlEpochJudge, ISxlLedgerV2, ISxlLedgerV2View} from "./ISxlLedgerV2.sol";
import {SxlEpochJudge} from "./SxlEpochJudge.sol";
import {SxlKeyRegistryV2} from "./SxlKeyRegistryV2.sol";

/// @title SxlLedgerV2: escrow and settlement the chain can check (docs/ledger-v2.md, issue 14)
/// @notice Money leaves escrow for a token only if that token is valid, was spent once and was counted
///         once. The clearing house posts one commitment per ended epoch (a token tree of every counted
///         token and a Merkle-sum tree of payouts that must tile it); anyone proves a deviation with the
///         judge within the challenge window, which freezes the epoch before any claim and slashes the
///         poster; withheld data is challenged and must be answered by anyone within the answer window.
///         Payees claim their leaf once the epoch is final; disputes and rewards are pull balances.
/// @dev    Books (checked by {invariants}): escrowReceived + slashedIn == owedTotal + withdrawn +
///         allocatedUnclaimed + claimsPaid + unallocated; unallocated == net × creditsBacked + bonusPool.
contract SxlLedgerV2 is ISxlLedgerV2, ISxlLedgerV2View, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    uint8 public constant LEDGER_VERSION = 2;
    uint8 public constant ROLE_GOVERNANCE = 0;
    uint8 public constant ROLE_ISSUER = 1;
    uint8 public constant ROLE_CLEARING_HOUSE = 2;
    uint8 internal constant STATE_NONE = 0;
    uint8 internal constant STATE_POSTED = 1;
    uint8 internal constant STATE_FROZEN = 2;
    uint8 internal constant STATE_FINAL = 3;
    uint256 public constant MAX_DA_POSITIONS = 16;
    uint256 public constant MAX_OPEN_CHALLENGES = 64;
    /// @notice A post spends at most 1/BONUS_SPREAD of the bonus pool per paying token's worth.
    uint256 public constant BONUS_SPREAD = 30;

    struct Params {
        address token;
        uint256 creditPrice;
        uint16 vendorShareBps;
        uint16 feeBps;
        address feeRecipient;
        address governance;
        address issuer;
        address clearingHouse;
        address judge;
        uint64 genesis;
        uint64 epochLength;
        uint64 postDeadline;
        uint64 challengeWindow;
        uint64 answerWindow;
        uint64 roleChangeDelay;
        uint256 minBond;
        uint256 daDeposit;
        uint256 daPenalty;
        uint256 latePenalty;
        uint16 proverRewardBps;
        uint256 proverRewardCap;
        uint64 minKeyDelay;
        uint64 minIssueWindow;
        uint64 minRedeemWindow;
    }

    // ---------------------------------------------------------------- parameters
    IERC20 public immutable token;
    uint256 public immutable creditPrice;
    uint256 public immutable vendorPerCredit;
    uint256 public immutable feePerCredit;
    /// @notice creditPrice − vendorPerCredit − feePerCredit: rounding dust goes to operators.
    uint256 public immutable operatorRate;
    address public immutable feeRecipient;
    address public immutable keyRegistry;
    SxlEpochJudge public immutable judge;
    uint64 public immutable genesis;
    uint64 public immutable epochLength;
    uint64 public immutable postDeadline;
    uint64 public immutable challengeWindow;
    uint64 public immutable answerWindow;
    uint64 public immutable roleChangeDelay;
    uint256 public immutable minBond;
    uint256 public immutable daDeposit;
    uint256 public immutable daPenalty;
    uint256 public immutable latePenalty;
    uint16 public immutable proverRewardBps;
    uint256 public immutable proverRewardCap;

    // ---------------------------------------------------------------- roles
    address public governance;
    address public issuer;
    address public clearingHouse;
    uint16 private _postingHouse; // clearingHouse's index, in its slot: a post reads both at once

    struct PendingRole {
        address account;
        uint64 executableAt;
    }

    mapping(uint8 => PendingRole) public pendingRole;
    address[] private _houses;
    mapping(address => uint16) private _houseIndex;
    mapping(address => uint256) public bondOf;
    /// @notice A former house's bond stays liable until every epoch up to this one is final (set when it is replaced).
    mapping(address => uint64) public liableThrough;

    // ---------------------------------------------------------------- books (packed: a post writes one slot)
    uint96 private _unallocated;
    uint96 private _allocatedUnclaimed;
    uint64 private _creditsBacked;
    uint128 private _escrowReceived;
    uint128 private _claimsPaid;
    uint128 private _owedTotal;
    uint128 private _withdrawn;
    uint128 private _bondsHeld;
    uint128 private _depositsHeld;
    uint128 private _bonusPool;
    uint64 private _creditsFunded;
    uint128 private _slashedIn;

    mapping(address => uint256) public owed;
    mapping(address => bool) public isVendor;
    mapping(bytes32 => address) public batchVendor;

    // ---------------------------------------------------------------- epochs
    struct Epoch {
        bytes32 commitment;
        uint96 unclaimed;
        uint40 postedAt;
        uint32 postSeq;
        uint32 paying;
        uint16 poster;
        uint16 openChallenges;
        uint8 round;
        uint8 state;
    }

    /// @notice What the clearing house posts (docs/ledger-v2.md §5.6); the contract fills in the rest.
    struct PostInput {
        uint64 epoch;
        bytes32 tokenRoot;
        uint32 n;
        uint32 r;
        bytes32 payoutRoot;
        uint32 m;
        bytes keyCounts;
    }

    struct DataChallenge {
        uint64 epoch;
        uint8 round;
        Tree tree;
        uint40 answerBy;
        address by;
        bytes32 positionsHash;
    }

    mapping(uint64 => Epoch) private _epochs;
    mapping(uint64 => mapping(uint256 => uint256)) private _claimedBits;
    mapping(uint64 => uint8) public lateChargedRound;
    mapping(bytes32 => DataChallenge) public dataChallenges;
    uint64 public nextEpoch = 1;
    uint64 public finalizedThrough;
    uint32 public postSeq;
    uint64 private _challengeNonce;

    constructor(Params memory p) {
        if (p.token == address(0) || p.feeRecipient == address(0) || p.governance == address(0)) revert ZeroAddress();
        if (p.issuer == address(0) || p.clearingHouse == address(0)) revert ZeroAddress();
        if (p.creditPrice == 0) revert InvalidParameters("creditPrice");
        if (uint256(p.vendorShareBps) + p.feeBps >= 10_000) revert InvalidParameters("shares");
        if (p.epochLength == 0 || p.postDeadline == 0 || p.challengeWindow == 0 || p.answerWindow == 0) {
            revert InvalidParameters("windows");
        }
        if (p.answerWindow > p.challengeWindow) revert InvalidParameters("answerWindow > challengeWindow");
        if (p.roleChangeDelay < p.challengeWindow + p.answerWindow + p.postDeadline) {
            revert InvalidParameters("roleChangeDelay");
        }
        if (p.minBond < p.daPenalty || p.minBond < p.latePenalty) revert InvalidParameters("minBond");
        if (p.proverRewardBps > 2_000) revert InvalidParameters("proverRewardBps");
        if (p.daDeposit == 0) revert InvalidParameters("daDeposit");

        token = IERC20(p.token);
        creditPrice = p.creditPrice;
        vendorPerCredit = (p.creditPrice * p.vendorShareBps) / 10_000;
        feePerCredit = (p.creditPrice * p.feeBps) / 10_000;
        operatorRate = p.creditPrice - vendorPerCredit - feePerCredit;
        feeRecipient = p.feeRecipient;
        genesis = p.genesis;
        epochLength = p.epochLength;
        postDeadline = p.postDeadline;
        challengeWindow = p.challengeWindow;
        answerWindow = p.answerWindow;
        roleChangeDelay = p.roleChangeDelay;
        minBond = p.minBond;
        daDeposit = p.daDeposit;
        daPenalty = p.daPenalty;
        latePenalty = p.latePenalty;
        proverRewardBps = p.proverRewardBps;
        proverRewardCap = p.proverRewardCap;
        governance = p.governance;
        issuer = p.issuer;
        _houses.push(address(0));
        _setHouse(p.clearingHouse);
        keyRegistry = address(new SxlKeyRegistryV2(address(this), p.minKeyDelay, p.minIssueWindow, p.minRedeemWindow));
        if (p.judge.code.length == 0) revert InvalidParameters("judge");
        judge = SxlEpochJudge(p.judge);
    }

    modifier onlyGovernance() {
        if (msg.sender != governance) revert NotGovernance();
        _;
    }

    // ================================================================ roles and vendors

    function proposeRoleChange(uint8 role, address account) external onlyGovernance {
        if (account == address(0)) revert ZeroAddress();
        if (role > ROLE_CLEARING_HOUSE) revert InvalidParameters("role");
        uint64 executableAt = uint64(block.timestamp) + roleChangeDelay;
        pendingRole[role] = PendingRole(account, executableAt);
        emit RoleChangeProposed(role, account, executableAt);
    }

    /// @notice Anyone executes a proposed change once its delay has passed. A former clearing house
    ///         stays liable: its bond unlocks only when every epoch it posted is final.
    function executeRoleChange(uint8 role) external {
        PendingRole memory pending = pendingRole[role];
        if (pending.account == address(0)) revert NoRoleChangePending(role);
        if (block.timestamp < pending.executableAt) revert RoleChangeNotReady(role, pending.executableAt);
        delete pendingRole[role];
        address previous;
        if (role == ROLE_GOVERNANCE) {
            previous = governance;
            governance = pending.account;
        } else if (role == ROLE_ISSUER) {
            previous = issuer;
            issuer = pending.account;
        } else {
            previous = clearingHouse;
            liableThrough[previous] = nextEpoch - 1;
            _setHouse(pending.account);
        }
        emit RoleChanged(role, previous, pending.account);
    }

    function registerVendor(address vendor) external onlyGovernance {
        if (vendor == address(0)) revert ZeroAddress();
        isVendor[vendor] = true;
        emit VendorRegistered(vendor);
    }

    /// @notice A registered vendor funds a batch: its share to its pull balance, the rest backs credits.
    ///         (Issue 15 replaces the batch root with a card tree the chain checks.)
    function fundBatch(bytes32 batchId, bytes32 root, uint64 credits) external nonReentrant {
        if (!isVendor[msg.sender]) revert NotRegisteredVendor(msg.sender);
        if (credits == 0) revert ZeroCredits();
        if (batchVendor[batchId] != address(0)) revert BatchAlreadyFunded(batchId);
        batchVendor[batchId] = msg.sender;
        uint256 amount = uint256(credits) * creditPrice;
        _pull(msg.sender, amount);
        uint256 share = uint256(credits) * vendorPerCredit;
        _escrowReceived += uint128(amount);
        _unallocated += uint96(amount - share);
        _creditsBacked += credits;
        _creditsFunded += credits;
        _credit(msg.sender, share, "vendor share");
        emit BatchFunded(msg.sender, batchId, root, credits, amount);
    }

    // ================================================================ bonds and pull balances

    function depositBond(uint256 amount) external nonReentrant {
        _pull(msg.sender, amount);
        bondOf[msg.sender] += amount;
        _bondsHeld += uint128(amount);
        emit BondDeposited(msg.sender, amount);
    }

    /// @notice The serving house keeps at least {minBond}; a former house withdraws once every epoch it
    ///         posted is final.
    function withdrawBond(uint256 amount) external nonReentrant {
        uint256 bond = bondOf[msg.sender];
        if (amount > bond) revert BondTooSmall(bond, amount);
        if (msg.sender == clearingHouse) {
            if (bond - amount < minBond) revert BondTooSmall(bond - amount, minBond);
        } else if (finalizedThrough < liableThrough[msg.sender]) {
            revert BondLocked();
        }
        bondOf[msg.sender] = bond - amount;
        _bondsHeld -= uint128(amount);
        token.safeTransfer(msg.sender, amount);
        emit BondWithdrawn(msg.sender, amount);
    }

    /// @notice Pays the caller's pull balance: vendor shares, rewards, returned and won deposits.
    function withdraw() external nonReentrant {
        uint256 amount = owed[msg.sender];
        if (amount == 0) revert NothingToWithdraw();
        owed[msg.sender] = 0;
        _owedTotal -= uint128(amount);
        _withdrawn += uint128(amount);
        token.safeTransfer(msg.sender, amount);
        emit Withdrawn(msg.sender, amount);
    }

    // ================================================================ posting

    function epochStart(uint64 epoch) public view returns (uint64) {
        return genesis + (epoch - 1) * epochLength;
    }

    function epochEnd(uint64 epoch) public view returns (uint64) {
        return genesis + epoch * epochLength;
    }

    /// @notice The clearing house posts an ended epoch (docs/ledger-v2.md §5.6): the contract checks the
    ///         key counts against the registry, computes the rate and the total itself and stores one hash.
    function post(PostInput calldata p) external nonReentrant returns (bytes32 commitment) {
        if (msg.sender != clearingHouse) revert NotClearingHouse();
        if (bondOf[msg.sender] < minBond) revert BondTooSmall(bondOf[msg.sender], minBond);
        uint64 epoch = p.epoch;
        uint64 end = epochEnd(epoch);
        if (epoch == 0 || block.timestamp < end) revert EpochNotEnded(epoch, end);
        uint8 round = _nextRound(epoch);
        if (p.r > p.n || p.m < 2 || uint256(p.m) - 2 > uint256(p.n) - p.r) revert TreeShapeInvalid();
        _countKeys(p.keyCounts, p.n, end - epochLength, end);
        (uint256 epochRate, uint256 total) = _allocate(p.n - p.r);
        commitment = _commitment(p, round, total, epochRate);
        uint32 seq = postSeq + 1;
        postSeq = seq;
        _epochs[epoch] = Epoch({
            commitment: commitment,
            unclaimed: uint96(total),
            postedAt: uint40(block.timestamp),
            postSeq: seq,
            paying: p.n - p.r,
            poster: _postingHouse,
            openChallenges: 0,
            round: round,
            state: STATE_POSTED
        });
        _emitPosted(p, round, commitment, total, epochRate);
    }

    /// @dev keccak256 of the 179-byte header v1 (docs/ledger-v2.md §5.6), as EpochFormats.commitment.
    function _commitment(PostInput calldata p, uint8 round, uint256 total, uint256 epochRate)
        private
        view
        returns (bytes32)
    {
        bytes memory head = abi.encodePacked(
            bytes1(0x30), EpochFormats.HEADER_VERSION, uint64(block.chainid), address(this), p.epoch, round, p.tokenRoot
        );
        return keccak256(
            bytes.concat(
                head,
                abi.encodePacked(p.n, p.r, p.payoutRoot, p.m, uint128(total), uint128(epochRate), keccak256(p.keyCounts))
            )
        );
    }

    function _emitPosted(PostInput calldata p, uint8 round, bytes32 commitment, uint256 total, uint256 epochRate) private {
        emit EpochPosted(p.epoch, round, commitment, p.tokenRoot, p.n, p.r, p.payoutRoot, p.m, total, epochRate, p.keyCounts);
    }

    /// @dev Round 1 for the next epoch in sequence; round + 1 for a frozen epoch with no open challenge.
    function _nextRound(uint64 epoch) private returns (uint8) {
        Epoch storage e = _epochs[epoch];
        if (epoch == nextEpoch && e.state == STATE_NONE) {
            nextEpoch = epoch + 1;
            return 1;
        }
        if (e.state == STATE_FROZEN && e.openChallenges == 0) return e.round + 1;
        revert EpochNotPostable(epoch, nextEpoch);
    }

    /// @dev The rate (operatorRate plus a bonus from the pool) and the total the contract allocates.
    function _allocate(uint64 paying) private returns (uint256 epochRate, uint256 total) {
        if (paying > _creditsBacked) revert NotEnoughBacked(paying, _creditsBacked);
        uint256 bonus = paying == 0 ? 0 : _bonusPool / (BONUS_SPREAD * paying);
        if (bonus > operatorRate) bonus = operatorRate;
        epochRate = operatorRate + bonus;
        total = uint256(paying) * (epochRate + feePerCredit);
        _unallocated -= uint96(total);
        _allocatedUnclaimed += uint96(total);
        _creditsBacked -= paying;
        _bonusPool -= uint128(bonus * paying);
    }

    function _countKeys(bytes calldata keyCounts, uint32 n, uint64 start, uint64 end) private {
        uint256 sum = SxlKeyRegistryV2(keyRegistry).countAll(keyCounts, start, end);
        if (sum != n) revert CountsDoNotSum(sum, n);
    }

    /// @notice Anyone charges the house when the next epoch is not posted by its deadline (once per epoch).
    function markLate(uint64 epoch) external nonReentrant {
        if (epoch != nextEpoch || block.timestamp < uint256(epochEnd(epoch)) + postDeadline) revert NotLate(epoch);
        if (lateChargedRound[epoch] != 0) revert LateAlreadyCharged(epoch, 1);
        lateChargedRound[epoch] = 1;
        uint256 penalty = _slash(clearingHouse, latePenalty);
        _bonusPool += uint128(penalty);
        _unallocated += uint96(penalty);
        emit EpochLate(epoch, clearingHouse, penalty);
    }

    // ================================================================ claims

    /// @notice Pays payout leaf `leafIndex` of a final epoch to its payee (anyone may submit; the money goes
    ///         to the payee). A payee whose transfer reverts blocks only its own claim.
    function claim(
        EpochHeader calldata h,
        uint32 leafIndex,
        bytes calldata leaf,
        bytes32[] calldata siblingHashes,
        uint128[] calldata siblingSums
    ) external nonReentrant {
        Epoch storage e = _standing(h);
        if (!_isFinal(e)) revert NotFinal(h.epoch);
        _markClaimed(h.epoch, leafIndex);
        (EpochFormats.PayoutLeaf memory p, bool rootMatches, bool totalMatches) =
            EpochFormats.climbPayoutLeaf(h, leafIndex, leaf, siblingHashes, siblingSums);
        if (!rootMatches || !totalMatches) revert InvalidProof();
        if (p.amount == 0 || p.payee == address(0)) revert NothingToClaim();
        // A leaf on a path whose root sum is the total is at most the total, which fits; checked all the same.
        uint96 amount = SafeCast.toUint96(p.amount);
        e.unclaimed -= amount;
        _allocatedUnclaimed -= amount;
        _claimsPaid += p.amount;
        token.safeTransfer(p.payee, p.amount);
        emit Claimed(h.epoch, leafIndex, p.payee, p.amount);
    }

    function _markClaimed(uint64 epoch, uint32 leafIndex) private {
        uint256 word = leafIndex >> 8;
        uint256 bit = uint256(1) << (leafIndex & 0xff);
        uint256 bits = _claimedBits[epoch][word];
        if (bits & bit != 0) revert AlreadyClaimed(epoch, leafIndex);
        _claimedBits[epoch][word] = bits | bit;
    }

    function isClaimed(uint64 epoch, uint32 leafIndex) external view returns (bool) {
        return _claimedBits[epoch][leafIndex >> 8] & (uint256(1) << (leafIndex & 0xff)) != 0;
    }

    /// @notice Marks epochs final in order (anyone; bounded work per call). Releases that depend on
    ///         every earlier epoch being final read {finalizedThrough}.
    function advanceFinality(uint256 maxSteps) external returns (uint64 through) {
        through = finalizedThrough;
        for (uint256 i = 0; i < maxSteps; i++) {
            Epoch storage e = _epochs[through + 1];
            if (e.state == STATE_POSTED && _isFinal(e)) e.state = STATE_FINAL;
            if (e.state != STATE_FINAL) break;
            through++;
        }
        finalizedThrough = through;
        emit FinalityAdvanced(through);
    }

    // ================================================================ fraud proofs

    /// @notice Files a fraud proof: `judgeCall` is an ABI-encoded call of one of {SxlEpochJudge}'s proof
    ///         functions. If it proves a deviation in a standing epoch within its challenge window, the
    ///         epoch freezes (its total returns to unallocated before anyone is paid) and its poster's
    ///         whole bond is slashed: a capped reward to the prover, the rest to the operators' bonus pool.
    function prove(bytes calldata judgeCall) external nonReentrant returns (uint64 frozen) {
        bytes4 selector = bytes4(judgeCall[:4]);
        if (selector == SxlEpochJudge.answerTokens.selector || selector == SxlEpochJudge.answerPayouts.selector) {
            revert NotFraud();
        }
        (bool ok, bytes memory ret) = address(judge).staticcall(judgeCall);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        ISxlEpochJudge.Verdict memory v = abi.decode(ret, (ISxlEpochJudge.Verdict));
        bytes memory keyCounts = v.keyCounts;
        frozen = v.epoch;
        Epoch storage e = _epochs[v.epoch];
        if (e.commitment != v.commitment || (e.state != STATE_POSTED && e.state != STATE_FINAL)) {
            revert EpochNotStanding(v.epoch);
        }
        if (v.otherEpoch != 0) {
            Epoch storage o = _epochs[v.otherEpoch];
            if (o.commitment != v.otherCommitment || (o.state != STATE_POSTED && o.state != STATE_FINAL)) {
                revert EpochNotStanding(v.otherEpoch);
            }
            if (o.postSeq > e.postSeq) {
                frozen = v.otherEpoch;
                keyCounts = v.otherKeyCounts;
            }
        }
        Epoch storage target = _epochs[frozen];
        if (target.state != STATE_POSTED || block.timestamp >= uint256(target.postedAt) + challengeWindow) {
            revert ChallengeWindowClosed(frozen);
        }
        _freeze(frozen, keyCounts, msg.sender, type(uint256).max);
    }

    // ================================================================ data availability

    /// @notice Names up to 16 positions of a standing epoch's tree whose data the challenger could not get.
    ///         The header (rebuilt from the EpochPosted event) must be the posted one, and every position must be
    ///         in the tree: a position nobody could answer would slash an honest house. Anyone answers within
    ///         {answerWindow} (and takes the deposit); unanswered, the epoch freezes and the poster pays {daPenalty}.
    function challengeData(EpochHeader calldata h, Tree tree, uint32[] calldata positions)
        external
        nonReentrant
        returns (bytes32 id)
    {
        if (positions.length == 0 || positions.length > MAX_DA_POSITIONS) revert TooManyPositions();
        Epoch storage e = _standing(h);
        if (e.state != STATE_POSTED || block.timestamp >= uint256(e.postedAt) + challengeWindow) {
            revert ChallengeWindowClosed(h.epoch);
        }
        uint32 leaves = tree == Tree.Token ? h.n : h.m;
        for (uint256 i = 0; i < positions.length; i++) {
            if (positions[i] >= leaves) revert PositionNotInTree(positions[i], leaves);
        }
        if (e.openChallenges >= MAX_OPEN_CHALLENGES) revert TooManyChallenges(h.epoch);
        _pull(msg.sender, daDeposit);
        _depositsHeld += uint128(daDeposit);
        e.openChallenges++;
        id = keccak256(abi.encode(h.epoch, e.round, tree, positions, msg.sender, ++_challengeNonce));
        dataChallenges[id] = DataChallenge({
            epoch: h.epoch,
            round: e.round,
            tree: tree,
            answerBy: uint40(block.timestamp + answerWindow),
            by: msg.sender,
            positionsHash: keccak256(abi.encodePacked(positions))
        });
        emit DataChallenged(id, h.epoch, e.round, tree, positions, msg.sender);
    }

    /// @notice Answers a data challenge with the named leaves and their paths (`judgeCall`: answerTokens
    ///         or answerPayouts of the judge). The answerer, whoever it is, takes the deposit.
    function answerData(bytes32 id, bytes calldata judgeCall) external nonReentrant {
        DataChallenge memory c = dataChallenges[id];
        if (c.by == address(0)) revert UnknownChallenge(id);
        if (block.timestamp > c.answerBy) revert AnswerWindowClosed(id);
        bytes4 expected =
            c.tree == Tree.Token ? SxlEpochJudge.answerTokens.selector : SxlEpochJudge.answerPayouts.selector;
        if (bytes4(judgeCall[:4]) != expected) revert AnswerMismatch(id);
        (bool ok, bytes memory ret) = address(judge).staticcall(judgeCall);
        if (!ok) revert AnswerMismatch(id);
        (bytes32 commitment, bytes32 positionsHash) = abi.decode(ret, (bytes32, bytes32));
        Epoch storage e = _epochs[c.epoch];
        if (commitment != e.commitment || e.round != c.round || positionsHash != c.positionsHash) {
            revert AnswerMismatch(id);
        }
        delete dataChallenges[id];
        e.openChallenges--;
        _depositsHeld -= uint128(daDeposit);
        _slashedIn += uint128(daDeposit);
        _credit(msg.sender, daDeposit, "data answered");
        emit DataAnswered(id, msg.sender);
    }

    /// @notice Settles an unanswered challenge after its window: the epoch freezes, the poster pays
    ///         {daPenalty}, the challenger gets its deposit back and a capped reward. If the round was
    ///         already frozen by something else, only the deposit returns.
    function settleData(bytes32 id, EpochHeader calldata h) external nonReentrant {
        DataChallenge memory c = dataChallenges[id];
        if (c.by == address(0)) revert UnknownChallenge(id);
        if (block.timestamp <= c.answerBy) revert AnswerWindowOpen(id, c.answerBy);
        delete dataChallenges[id];
        Epoch storage e = _epochs[c.epoch];
        e.openChallenges--;
        _depositsHeld -= uint128(daDeposit);
        _slashedIn += uint128(daDeposit);
        _credit(c.by, daDeposit, "deposit returned");
        if (e.state == STATE_POSTED && e.round == c.round) {
            if (h.epoch != c.epoch || EpochFormats.commitment(h, address(this)) != e.commitment) {
                revert EpochNotStanding(c.epoch);
            }
            _freeze(c.epoch, h.keyCounts, c.by, daPenalty);
        }
    }

    // ================================================================ views

    function epochOf(uint64 epoch) external view returns (Epoch memory) {
        return _epochs[epoch];
    }

    function isFinal(uint64 epoch) external view returns (bool) {
        Epoch storage e = _epochs[epoch];
        return e.state == STATE_FINAL || (e.state == STATE_POSTED && _isFinal(e));
    }

    function creditsFunded() external view returns (uint64) {
        return _creditsFunded;
    }

    struct Books {
        uint256 escrowReceived;
        uint256 slashedIn;
        uint256 unallocated;
        uint256 allocatedUnclaimed;
        uint256 claimsPaid;
        uint256 owedTotal;
        uint256 withdrawn;
        uint256 bondsHeld;
        uint256 depositsHeld;
        uint256 bonusPool;
        uint64 creditsBacked;
        uint64 creditsFunded;
        uint256 balance;
    }

    function books() public view returns (Books memory b) {
        b = Books(
            _escrowReceived, _slashedIn, _unallocated, _allocatedUnclaimed, _claimsPaid, _owedTotal, _withdrawn,
            _bondsHeld, _depositsHeld, _bonusPool, _creditsBacked, _creditsFunded, token.balanceOf(address(this))
        );
    }

    /// @notice The invariants of docs/ledger-v2.md §15 that this contract keeps (books, balance, backing).
    function invariants() external view returns (bool booksBalance, bool covered, bool backed) {
        Books memory b = books();
        booksBalance = b.escrowReceived + b.slashedIn
            == b.owedTotal + b.withdrawn + b.allocatedUnclaimed + b.claimsPaid + b.unallocated;
        covered = b.balance >= b.owedTotal + b.allocatedUnclaimed + b.unallocated + b.bondsHeld + b.depositsHeld;
        backed = b.unallocated == (creditPrice - vendorPerCredit) * b.creditsBacked + b.bonusPool;
    }

    // ================================================================ internals

    function _standing(EpochHeader calldata h) private view returns (Epoch storage e) {
        e = _epochs[h.epoch];
        if (e.state != STATE_POSTED && e.state != STATE_FINAL) revert EpochNotStanding(h.epoch);
        if (EpochFormats.commitment(h, address(this)) != e.commitment) revert CommitmentMismatch(h.epoch);
    }

    function _isFinal(Epoch storage e) private view returns (bool) {
        return e.state == STATE_FINAL
            || (e.state == STATE_POSTED && e.openChallenges == 0
                && block.timestamp >= uint256(e.postedAt) + challengeWindow);
    }

    /// @dev Freezes a standing, unclaimed epoch: its total returns to unallocated (the bonus part to the
    ///      pool), its counts return to the registry, and its poster is slashed `penalty` (capped by the bond).
    function _freeze(uint64 epoch, bytes memory keyCounts, address prover, uint256 penalty) private {
        Epoch storage e = _epochs[epoch];
        uint256 total = e.unclaimed;
        uint256 paying = e.paying;
        e.state = STATE_FROZEN;
        e.unclaimed = 0;
        _allocatedUnclaimed -= uint96(total);
        _unallocated += uint96(total);
        _creditsBacked += uint64(paying);
        _bonusPool += uint128(total - paying * (creditPrice - vendorPerCredit));
        SxlKeyRegistryV2(keyRegistry).uncountAll(keyCounts);
        address poster = _houses[e.poster];
        uint256 slashed = _slash(poster, penalty);
        uint256 reward = (slashed * proverRewardBps) / 10_000;
        if (reward > proverRewardCap) reward = proverRewardCap;
        _credit(prover, reward, "prover reward");
        _bonusPool += uint128(slashed - reward);
        _unallocated += uint96(slashed - reward);
        emit EpochFrozen(epoch, e.round, prover, total, slashed);
    }

    /// @dev Takes up to `amount` of a house's bond into the books (slashedIn); returns what was taken.
    function _slash(address house, uint256 amount) private returns (uint256 taken) {
        uint256 bond = bondOf[house];
        taken = amount < bond ? amount : bond;
        bondOf[house] = bond - taken;
        _bondsHeld -= uint128(taken);
        _slashedIn += uint128(taken);
    }

    function _credit(address account, uint256 amount, bytes32 reason) private {
        if (amount == 0) return;
        owed[account] += amount;
        _owedTotal += uint128(amount);
        emit Owed(account, amount, reason);
    }

    /// @dev Pulls exactly `amount` in: a fee-on-transfer token is refused.
    function _pull(address from, uint256 amount) private {
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(from, address(this), amount);
        uint256 received = token.balanceOf(address(this)) - before;
        if (received != amount) revert InflowShort(amount, received);
    }

    function _setHouse(address house) private {
        clearingHouse = house;
        if (_houseIndex[house] == 0) {
            _houseIndex[house] = uint16(_houses.length);
            _houses.push(house);
        }
        _postingHouse = _houseIndex[house];
    }
}
